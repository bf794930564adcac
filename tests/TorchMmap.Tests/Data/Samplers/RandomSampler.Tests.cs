using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public class RandomSamplerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(1000)]
    public void GetIndices_AnyEpoch_IsPermutation(long length)
    {
        var sampler = new RandomSampler(length, seed: 5);
        for (long epoch = 0; epoch < 3; epoch++)
        {
            sampler.SetEpoch(epoch);
            long[] indices = sampler.GetIndices();

            Assert.Equal(length, sampler.Count);
            Assert.Equal(Enumerable.Range(0, (int)length).Select(i => (long)i), indices.Order());
        }
    }

    [Fact]
    public void GetIndices_Epoch1AndEpoch2_Differ()
    {
        var sampler = new RandomSampler(100);
        sampler.SetEpoch(1);
        long[] first = sampler.GetIndices();
        sampler.SetEpoch(2);

        Assert.NotEqual(first, sampler.GetIndices());
    }

    [Fact]
    public void GetIndices_SameSeedAndEpoch_Identical()
    {
        var a = new RandomSampler(100, seed: 42);
        var b = new RandomSampler(100, seed: 42);
        a.SetEpoch(3);
        b.SetEpoch(3);

        Assert.Equal(a.GetIndices(), b.GetIndices());
        Assert.Equal(a.GetIndices(), a.ToArray());
    }

    [Fact]
    public void GetIndices_DifferentSeeds_Differ()
    {
        Assert.NotEqual(new RandomSampler(100, seed: 1).GetIndices(), new RandomSampler(100, seed: 2).GetIndices());
    }

    [Fact]
    public void GetIndices_SeedZeroEpochZero_MatchesKnownPyTorchOrder()
    {
        // torch.randperm(10, generator=torch.Generator().manual_seed(0))
        Assert.Equal([4L, 1L, 7L, 5L, 3L, 9L, 0L, 8L, 6L, 2L], new RandomSampler(10).GetIndices());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(4L)]
    [InlineData(-7L)]
    public void GetIndices_AnyEpoch_EqualsSingleReplicaDistributedSampler(long seed)
    {
        var random = new RandomSampler(37, seed);
        var distributed = new DistributedSampler(37, num_replicas: 1, rank: 0, shuffle: true, seed);
        for (long epoch = 0; epoch < 4; epoch++)
        {
            random.SetEpoch(epoch);
            distributed.SetEpoch(epoch);

            Assert.Equal(distributed.GetIndices(), random.GetIndices());
        }
    }

    [Trait("Requires", "python")]
    [Fact]
    public void GetIndices_LargeLengths_MatchPyTorchRandperm()
    {
        // Compares head, tail and a position-weighted checksum, so large permutations need not cross the pipe.
        const long Modulus = 1_000_003;
        const string Script = """
            import json
            out = []
            for n, seed in [(1000, 3), (100003, 8), (1000003, -1)]:
                g = torch.Generator()
                g.manual_seed(seed)
                p = torch.randperm(n, generator=g)
                checksum = int(((p * torch.arange(n)) % 1000003).sum() % 1000003)
                out.append({"Length": n, "Seed": seed, "Head": p[:8].tolist(), "Tail": p[-8:].tolist(), "Checksum": checksum})
            print(json.dumps(out))
            """;
        LargeCase[] cases = TorchReference.RunJson<LargeCase[]>(Script);
        Assert.Equal(3, cases.Length);

        foreach (LargeCase c in cases)
        {
            long[] actual = new RandomSampler(c.Length, c.Seed).GetIndices();
            long checksum = 0;
            for (long i = 0; i < actual.Length; i++)
            {
                checksum = (checksum + (actual[i] * i % Modulus)) % Modulus;
            }

            Assert.Equal(c.Head, actual[..8]);
            Assert.Equal(c.Tail, actual[^8..]);
            Assert.Equal(c.Checksum, checksum);
        }
    }

    [Fact]
    public void Constructor_NegativeLength_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>("length", () => new RandomSampler(-1));
    }

    private sealed record LargeCase(long Length, long Seed, long[] Head, long[] Tail, long Checksum);
}
