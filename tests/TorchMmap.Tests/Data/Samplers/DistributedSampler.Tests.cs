using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public class DistributedSamplerTests
{
    public static TheoryData<long, int, bool> CoverageCases()
    {
        var data = new TheoryData<long, int, bool>();
        foreach (long length in new long[] { 0, 1, 7, 10, 13, 100 })
        {
            for (int replicas = 1; replicas <= 4; replicas++)
            {
                data.Add(length, replicas, false);
                data.Add(length, replicas, true);
            }
        }

        return data;
    }

    [Trait("Requires", "python")]
    [Fact]
    public void GetIndices_ParameterGrid_MatchesPyTorch()
    {
        // One Python run computes the whole grid, so the reference costs one interpreter start.
        const string Script = """
            import json
            from torch.utils.data import DistributedSampler
            cases = []
            for n in [0, 1, 2, 7, 10, 13, 100, 1000]:
                for R in range(1, 6):
                    for drop_last in [False, True]:
                        for shuffle, seeds, epochs in [(False, [0], [0, 1]), (True, [0, 7, -3, 123456789012], [0, 1, 5])]:
                            for seed in seeds:
                                for epoch in epochs:
                                    for rank in range(R):
                                        s = DistributedSampler(range(n), num_replicas=R, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
                                        s.set_epoch(epoch)
                                        cases.append({"Length": n, "NumReplicas": R, "Rank": rank, "Shuffle": shuffle, "Seed": seed,
                                                      "Epoch": epoch, "DropLast": drop_last, "Count": len(s), "Indices": list(s)})
            print(json.dumps(cases))
            """;
        ReferenceCase[] cases = TorchReference.RunJson<ReferenceCase[]>(Script);
        Assert.Equal(8 * 15 * 2 * 14, cases.Length);

        var mismatches = new List<string>();
        foreach (ReferenceCase c in cases)
        {
            var sampler = new DistributedSampler(c.Length, c.NumReplicas, c.Rank, c.Shuffle, c.Seed, c.DropLast);
            sampler.SetEpoch(c.Epoch);
            long[] actual = sampler.GetIndices();
            if (sampler.Count != c.Count || !actual.AsSpan().SequenceEqual(c.Indices))
            {
                mismatches.Add($"{c} (Count {sampler.Count}): got [{string.Join(',', actual)}], PyTorch [{string.Join(',', c.Indices)}]");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches.Take(5)));
    }

    [Theory]
    [MemberData(nameof(CoverageCases))]
    public void GetIndices_AllRanks_CoverEveryIndexOncePlusPyTorchPadding(long length, int replicas, bool drop_last)
    {
        const long Seed = 11;
        const long Epoch = 3;
        long numSamples = drop_last && length % replicas != 0
            ? (long)Math.Ceiling((length - replicas) / (double)replicas)
            : (long)Math.Ceiling(length / (double)replicas);
        long totalSize = numSamples * replicas;

        var permutation = new RandomSampler(length, Seed);
        permutation.SetEpoch(Epoch);
        long[] order = permutation.GetIndices();

        // PyTorch pads by repeating the permutation from its start, or cuts it to totalSize.
        var expected = new List<long>();
        for (long p = 0; p < totalSize; p++)
        {
            expected.Add(order[p % length]);
        }

        var all = new List<long>();
        for (int rank = 0; rank < replicas; rank++)
        {
            var sampler = new DistributedSampler(length, replicas, rank, shuffle: true, Seed, drop_last);
            sampler.SetEpoch(Epoch);
            long[] share = sampler.GetIndices();
            Assert.Equal(numSamples, sampler.Count);
            Assert.Equal(totalSize, sampler.TotalSize);
            Assert.Equal(numSamples, share.Length);
            all.AddRange(share);
        }

        Assert.Equal(expected.Order(), all.Order());
        if (!drop_last)
        {
            Assert.Equal(Enumerable.Range(0, (int)length).Select(i => (long)i), all.Distinct().Order());
        }
    }

    [Fact]
    public void GetIndices_NoShuffle_TakesEveryReplicaThIndexPaddedFromStart()
    {
        var sampler = new DistributedSampler(10, num_replicas: 4, rank: 1, shuffle: false);

        // 0..9 padded to 12 is 0..9,0,1; rank 1 takes positions 1, 5, 9.
        Assert.Equal([1L, 5L, 9L], sampler.GetIndices());
    }

    [Fact]
    public void GetIndices_LengthBelowReplicasWithoutDropLast_RepeatsWholeOrder()
    {
        long[][] shares = Enumerable.Range(0, 5)
            .Select(rank => new DistributedSampler(2, num_replicas: 5, rank: rank, shuffle: false).GetIndices())
            .ToArray();

        Assert.Equal([[0L], [1L], [0L], [1L], [0L]], shares);
    }

    [Fact]
    public void GetIndices_SameEpoch_SameOrder()
    {
        var sampler = new DistributedSampler(50, num_replicas: 2, rank: 1, seed: 4);
        sampler.SetEpoch(2);

        Assert.Equal(sampler.GetIndices(), sampler.GetIndices());
        Assert.Equal(sampler.GetIndices(), sampler.ToArray());
        Assert.True(sampler.IsDeterministic);
    }

    [Fact]
    public void GetEnumerator_SetEpochAfterStart_KeepsStartingEpoch()
    {
        var sampler = new DistributedSampler(20, num_replicas: 1, rank: 0, seed: 1);
        long[] epochZero = sampler.GetIndices();

        var seen = new List<long>();
        foreach (long index in sampler)
        {
            seen.Add(index);
            sampler.SetEpoch(1);
        }

        Assert.Equal(epochZero, seen);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GetIndices_EmptyDataset_ReturnsEmpty(bool drop_last)
    {
        var sampler = new DistributedSampler(0, num_replicas: 3, rank: 2, drop_last: drop_last);

        Assert.Equal(0, sampler.Count);
        Assert.Empty(sampler.GetIndices());
        Assert.Empty(sampler);
    }

    [Fact]
    public void Properties_AfterConstruction_ReflectArguments()
    {
        var sampler = new DistributedSampler(13, num_replicas: 4, rank: 3, shuffle: false, seed: 9, drop_last: true);

        Assert.Equal(13, sampler.Length);
        Assert.Equal(4, sampler.NumReplicas);
        Assert.Equal(3, sampler.Rank);
        Assert.False(sampler.Shuffle);
        Assert.Equal(9, sampler.Seed);
        Assert.True(sampler.DropLast);
        Assert.Equal(3, sampler.Count);
        Assert.Equal(12, sampler.TotalSize);
    }

    [Fact]
    public void Constructor_NegativeLength_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>("length", () => new DistributedSampler(-1, 1, 0));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-2, 0)]
    public void Constructor_ReplicasBelowOne_ThrowsArgumentOutOfRange(int replicas, int rank)
    {
        Assert.Throws<ArgumentOutOfRangeException>("num_replicas", () => new DistributedSampler(10, replicas, rank));
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 5)]
    [InlineData(3, -1)]
    public void Constructor_RankOutsideReplicas_ThrowsArgumentOutOfRange(int replicas, int rank)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(nameof(rank), () => new DistributedSampler(10, replicas, rank));
        Assert.Contains($"[0, {replicas - 1}]", e.Message, StringComparison.Ordinal);
    }

    private sealed record ReferenceCase(
        long Length, int NumReplicas, int Rank, bool Shuffle, long Seed, long Epoch, bool DropLast, long Count, long[] Indices)
    {
        public override string ToString() =>
            $"length {Length}, replicas {NumReplicas}, rank {Rank}, shuffle {Shuffle}, seed {Seed}, epoch {Epoch}, drop_last {DropLast}";
    }
}
