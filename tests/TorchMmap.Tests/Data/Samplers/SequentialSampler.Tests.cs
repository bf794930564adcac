using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public class SequentialSamplerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void GetIndices_AnyEpoch_YieldsRowsInOrder(long length)
    {
        var sampler = new SequentialSampler(length);
        sampler.SetEpoch(4);
        long[] expected = Enumerable.Range(0, (int)length).Select(i => (long)i).ToArray();

        Assert.Equal(length, sampler.Count);
        Assert.Equal(expected, sampler.GetIndices());
        Assert.Equal(expected, sampler.ToArray());
    }

    [Fact]
    public void GetEnumerator_LengthBeyondArrayLimit_StreamsWithoutAllocating()
    {
        var sampler = new SequentialSampler(long.MaxValue);

        Assert.Equal([0L, 1L, 2L], sampler.Take(3));
        Assert.Throws<InvalidOperationException>(() => sampler.GetIndices());
    }

    [Fact]
    public void Constructor_NegativeLength_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>("length", () => new SequentialSampler(-1));
    }
}
