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

    [Fact]
    public void CopyOrder_SamplerThatCannotIndex_ThrowsNotSupported()
    {
        var sampler = new CountingSampler(4);
        Assert.False(sampler.CanIndex);
        Assert.Throws<NotSupportedException>(() => sampler.CopyOrder(0, 0, 1, new long[2]));
    }

    [Fact]
    public void CopyOrder_InvalidArguments_Throw()
    {
        var sampler = new ReversedSampler(10);
        Assert.Throws<ArgumentOutOfRangeException>("epoch", () => sampler.CopyOrder(-1, 0, 1, new long[1]));
        Assert.Throws<ArgumentOutOfRangeException>("start", () => sampler.CopyOrder(0, -1, 1, new long[1]));
        Assert.Throws<ArgumentOutOfRangeException>("stride", () => sampler.CopyOrder(0, 0, 0, new long[1]));
        Assert.Throws<InvalidOperationException>(() => new ReversedSampler(0).CopyOrder(0, 0, 1, new long[1]));
    }

    [Fact]
    public void CopyOrder_PositionsPastTheLength_AreThePaddingRepeatingTheOrder()
    {
        // The core only ever sees positions below the length; the base wraps the rest, as PyTorch pads.
        var sampler = new ReversedSampler(5);
        var part = new long[12];
        sampler.CopyOrder(0, 3, 2, part);
        Assert.Equal(Enumerable.Range(0, 12).Select(j => 4 - ((3 + (2L * j)) % 5)), part);
        Assert.All(sampler.CorePositions, p => Assert.InRange(p, 0, 4));
    }

    [Fact]
    public void NpyDataLoader_UserSamplerThatIndexes_IsReadPerBatchAndSizeChecked()
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(30);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        // The loader learns the sampler's dataset size from DatasetLength, not from its type.
        Assert.Throws<ArgumentException>("sampler", () => new NpyDataLoader(dataset, 4, sampler: new ReversedSampler(31)));

        var sampler = new ReversedSampler(30);
        using var loader = new NpyDataLoader(dataset, 4, sampler: sampler, num_workers: 0);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => 29L - i), LoaderAssert.Labels(loader).SelectMany(b => b));
        Assert.Equal(0, sampler.Enumerations);
        Assert.True(sampler.CorePositions.Count >= 8);
    }

    // An indexable user sampler: the rows in reverse, one replica.
    private sealed class ReversedSampler(long length) : Sampler
    {
        public int Enumerations { get; private set; }

        public List<long> CorePositions { get; } = [];

        public override long Count => length;

        public override long? DatasetLength => length;

        public override bool CanIndex => true;

        public override IEnumerator<long> GetEnumerator()
        {
            Enumerations++;
            for (long i = 0; i < length; i++)
            {
                yield return length - 1 - i;
            }
        }

        protected override void CopyOrderCore(long epoch, long start, long stride, Span<long> destination)
        {
            for (int j = 0; j < destination.Length; j++)
            {
                long position = start + (j * stride);
                CorePositions.Add(position);
                destination[j] = length - 1 - position;
            }
        }
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
