using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

/// <summary>RANK and WORLD_SIZE defaults; run alone because they set process-wide variables other tests' samplers would read.</summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class DistributedSamplerEnvironmentTests
{
    private static void WithEnvironment(string? worldSize, string? rank, Action test)
    {
        string? oldWorld = Environment.GetEnvironmentVariable("WORLD_SIZE");
        string? oldRank = Environment.GetEnvironmentVariable("RANK");
        Environment.SetEnvironmentVariable("WORLD_SIZE", worldSize);
        Environment.SetEnvironmentVariable("RANK", rank);
        try
        {
            test();
        }
        finally
        {
            Environment.SetEnvironmentVariable("WORLD_SIZE", oldWorld);
            Environment.SetEnvironmentVariable("RANK", oldRank);
        }
    }

    [Fact]
    public void Constructor_LauncherVariables_GiveRankAndWorldSize() => WithEnvironment("3", "2", () =>
    {
        var sampler = new DistributedSampler(20, seed: 5);
        Assert.Equal(3, sampler.NumReplicas);
        Assert.Equal(2, sampler.Rank);
        var explicitSampler = new DistributedSampler(20, num_replicas: 3, rank: 2, seed: 5);
        Assert.Equal(explicitSampler.GetIndices(), sampler.GetIndices());
    });

    [Fact]
    public void Constructor_BlockShuffleAndFeistelSamplers_ReadTheVariablesByDefaultToo() => WithEnvironment("4", "1", () =>
    {
        var block = new BlockShuffleSampler(40, blockRows: 4);
        var feistel = new FeistelSampler(40);
        Assert.Equal((4, 1), (block.NumReplicas, block.Rank));
        Assert.Equal((4, 1), (feistel.NumReplicas, feistel.Rank));
    });

    [Fact]
    public void Constructor_VariablesUnset_IsTheOnlyReplica() => WithEnvironment(null, null, () =>
    {
        var sampler = new DistributedSampler(20);
        Assert.Equal(1, sampler.NumReplicas);
        Assert.Equal(0, sampler.Rank);
    });

    [Fact]
    public void Constructor_ExplicitArguments_OverrideVariables() => WithEnvironment("4", "3", () =>
    {
        var sampler = new DistributedSampler(20, num_replicas: 2, rank: 0);
        Assert.Equal(2, sampler.NumReplicas);
        Assert.Equal(0, sampler.Rank);
    });

    [Theory]
    [InlineData("two", "0")]
    [InlineData("2", "first")]
    public void Constructor_NonIntegerVariable_ThrowsArgumentException(string worldSize, string rank) => WithEnvironment(worldSize, rank, () =>
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new DistributedSampler(20));
        Assert.Contains(worldSize == "two" ? "WORLD_SIZE" : "RANK", ex.Message, StringComparison.Ordinal);
    });

    [Fact]
    public void Constructor_RankNotBelowWorldSize_ThrowsArgumentException() => WithEnvironment("2", "2", () =>
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new DistributedSampler(20));
        Assert.Contains("RANK=2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("WORLD_SIZE=2", ex.Message, StringComparison.Ordinal);
    });
}
