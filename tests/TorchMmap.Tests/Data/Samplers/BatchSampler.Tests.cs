using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public class BatchSamplerTests
{
    [Theory]
    [InlineData(10, 3, false, 4)]
    [InlineData(10, 3, true, 3)]
    [InlineData(9, 3, false, 3)]
    [InlineData(9, 3, true, 3)]
    [InlineData(2, 5, false, 1)]
    [InlineData(2, 5, true, 0)]
    [InlineData(0, 4, false, 0)]
    [InlineData(0, 4, true, 0)]
    public void Count_AnySampler_MatchesPyTorchLen(long length, int batch_size, bool drop_last, long expected)
    {
        var batches = new BatchSampler(new SequentialSampler(length), batch_size, drop_last);

        long enumerated = 0;
        foreach (long[] batch in batches)
        {
            enumerated++;
        }

        Assert.Equal(expected, batches.Count);
        Assert.Equal(expected, enumerated);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GetEnumerator_AnySampler_SplitsSamplerOrderIntoBatches(bool drop_last)
    {
        var sampler = new RandomSampler(11, seed: 2);
        var batches = new BatchSampler(sampler, batch_size: 4, drop_last).ToList();
        long[] order = sampler.GetIndices();

        Assert.Equal(drop_last ? [4, 4] : [4, 4, 3], batches.Select(b => b.Length));
        Assert.Equal(order.Take(drop_last ? 8 : 11), batches.SelectMany(b => b));
    }

    [Fact]
    public void GetEnumerator_EachBatch_IsANewArray()
    {
        var batches = new BatchSampler(new SequentialSampler(6), batch_size: 2, drop_last: false).ToList();

        Assert.Equal([[0L, 1L], [2L, 3L], [4L, 5L]], batches);
        Assert.NotSame(batches[0], batches[1]);
    }

    [Fact]
    public void GetEnumerator_AfterSetEpochOnSampler_FollowsNewEpoch()
    {
        var sampler = new RandomSampler(8);
        var batches = new BatchSampler(sampler, batch_size: 8, drop_last: true);
        sampler.SetEpoch(5);

        Assert.Equal(sampler.GetIndices(), Assert.Single(batches));
    }

    [Fact]
    public void Constructor_NullSampler_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>("sampler", () => new BatchSampler(null!, 2, drop_last: false));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Constructor_BatchSizeBelowOne_ThrowsArgumentOutOfRange(int batch_size)
    {
        Assert.Throws<ArgumentOutOfRangeException>(nameof(batch_size), () => new BatchSampler(new SequentialSampler(4), batch_size, drop_last: false));
    }
}
