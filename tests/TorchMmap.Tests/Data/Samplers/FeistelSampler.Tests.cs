using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public sealed class FeistelSamplerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void GetIndices_EachEpoch_IsPermutationOfAllRows(long length)
    {
        var sampler = new FeistelSampler(length, seed: 3, num_replicas: 1, rank: 0);
        for (long epoch = 0; epoch < 3; epoch++)
        {
            sampler.SetEpoch(epoch);
            long[] indices = sampler.GetIndices();
            Assert.Equal(Enumerable.Range(0, (int)length).Select(i => (long)i), indices.Order());
            Assert.Equal(indices, sampler.ToArray());
        }
    }

    [Fact]
    public void GetIndices_SeedPlusEpoch_SelectsTheOrder()
    {
        var a = new FeistelSampler(300, seed: 0, num_replicas: 1, rank: 0);
        var b = new FeistelSampler(300, seed: 1, num_replicas: 1, rank: 0);
        a.SetEpoch(1);
        Assert.Equal(a.GetIndices(), b.GetIndices());
        b.SetEpoch(1);
        Assert.NotEqual(a.GetIndices(), b.GetIndices());
    }

    [Theory]
    [InlineData(100, 4, false)]
    [InlineData(103, 4, false)]
    [InlineData(103, 4, true)]
    [InlineData(7, 3, false)]
    [InlineData(2, 3, false)]
    public void GetIndices_AcrossReplicas_ShareTheOrderAsDistributedSamplerDoes(long length, int replicas, bool dropLast)
    {
        var single = new FeistelSampler(length, seed: 9, num_replicas: 1, rank: 0);
        single.SetEpoch(2);
        long[] global = single.GetIndices();
        var pyTorchCount = new DistributedSampler(length, replicas, 0, drop_last: dropLast).Count;
        for (int rank = 0; rank < replicas; rank++)
        {
            var sampler = new FeistelSampler(length, seed: 9, num_replicas: replicas, rank: rank, drop_last: dropLast);
            sampler.SetEpoch(2);
            Assert.Equal(pyTorchCount, sampler.Count);
            // PyTorch's rule on this order: padded from its start (or cut), then every replicas-th position from rank.
            long[] expected = Enumerable.Range(0, (int)sampler.TotalSize).Where(p => p % replicas == rank).Select(p => global[p % length]).ToArray();
            Assert.Equal(expected, sampler.GetIndices());
            Assert.Equal(expected, sampler.ToArray());
        }
    }

    [Fact]
    public void CopyOrder_AnyStartAndStride_EqualsTheWholeOrder()
    {
        var sampler = new FeistelSampler(1000, seed: 5, num_replicas: 1, rank: 0);
        sampler.SetEpoch(4);
        long[] global = sampler.GetIndices();
        var part = new long[37];
        foreach ((long start, long stride) in new[] { (0L, 1L), (990L, 1L), (5L, 3L), (998L, 7L), (2500L, 2L) })
        {
            sampler.CopyOrder(4, start, stride, part);
            Assert.Equal(Enumerable.Range(0, part.Length).Select(j => global[(start + (j * stride)) % 1000]), part);
        }
    }

    [Fact]
    public void CopyOrder_TenBillionRows_NeedsNoArray()
    {
        // 10^10 rows would be 80 GB as a permutation array; positions anywhere cost the same few hash rounds.
        var sampler = new FeistelSampler(10_000_000_000, seed: 1, num_replicas: 1, rank: 0);
        var first = new long[1024];
        var last = new long[1024];
        sampler.CopyOrder(0, 0, 1, first);
        sampler.CopyOrder(0, 10_000_000_000 - 1024, 1, last);
        Assert.All(first.Concat(last), i => Assert.InRange(i, 0, 10_000_000_000 - 1));
        Assert.Equal(2048, first.Concat(last).Distinct().Count());
        Assert.Throws<InvalidOperationException>(() => sampler.GetIndices());
    }

    [Fact]
    public void OrderDescription_NamesKindAndSettingsButNotTheReplica()
    {
        string a = new FeistelSampler(50, seed: 2, num_replicas: 2, rank: 1, drop_last: true).OrderDescription;
        Assert.Equal("FeistelSampler(length=50, seed=2, drop_last=True)", a);
        Assert.Equal(a, new FeistelSampler(50, seed: 2, num_replicas: 5, rank: 0, drop_last: true).OrderDescription);
    }
}
