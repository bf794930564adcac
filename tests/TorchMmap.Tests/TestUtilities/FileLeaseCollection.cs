namespace TorchMmap.Tests.TestUtilities;

/// <summary>
/// Tests that turn file leases or <c>process_vm_readv</c> off for the process run alone, so the copy path each of them
/// asserts on is the one its arrays were opened with.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FileLeaseCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "file leases and kernel copies (runs alone)";
}
