namespace TorchMmap.Tests.TestUtilities;

/// <summary>
/// Tests that set libtorch's process-wide state (<c>torch.manual_seed</c>, <c>torch.set_num_threads</c>) run alone:
/// a test drawing from the global generator in parallel would change what they compute.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalStateCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "libtorch global state (runs alone)";
}
