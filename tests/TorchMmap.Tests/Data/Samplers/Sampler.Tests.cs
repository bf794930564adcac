using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public class SamplerTests
{
    [Fact]
    public void SetEpoch_NonNegative_SetsEpoch()
    {
        var sampler = new CountingSampler(3);
        Assert.Equal(0, sampler.Epoch);

        sampler.SetEpoch(12);

        Assert.Equal(12, sampler.Epoch);
    }

    [Fact]
    public void SetEpoch_Negative_ThrowsArgumentOutOfRange()
    {
        var sampler = new CountingSampler(3);

        Assert.Throws<ArgumentOutOfRangeException>("epoch", () => sampler.SetEpoch(-1));
        Assert.Equal(0, sampler.Epoch);
    }

    [Fact]
    public void GetIndices_BaseImplementation_EnumeratesOnce()
    {
        var sampler = new CountingSampler(4);

        Assert.Equal([0L, 1L, 2L, 3L], sampler.GetIndices());
        Assert.Equal(1, sampler.Enumerations);
        Assert.True(sampler.IsDeterministic);
    }

    [Fact]
    public void GetIndices_CountBeyondArrayLimit_ThrowsInvalidOperation()
    {
        var sampler = new CountingSampler(long.MaxValue);

        Assert.Throws<InvalidOperationException>(() => sampler.GetIndices());
        Assert.Equal(0, sampler.Enumerations);
    }

    // A minimal subclass that relies on the base GetIndices.
    private sealed class CountingSampler(long count) : Sampler
    {
        public int Enumerations { get; private set; }

        public override long Count => count;

        public override IEnumerator<long> GetEnumerator()
        {
            Enumerations++;
            for (long i = 0; i < count; i++)
            {
                yield return i;
            }
        }
    }
}
