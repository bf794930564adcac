namespace TorchMmap.Tests.Data;

/// <summary>Tests that change process-wide environment variables: xunit runs this collection alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;
