namespace TorchMmap.Tests.Hardening;

/// <summary>Tests that count process-wide live tensors and resident memory run alone, with no other test allocating.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Soak (runs alone)";
}
