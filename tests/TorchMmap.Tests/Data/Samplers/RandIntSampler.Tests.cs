using System.Globalization;
using TorchMmap.Data;
using TorchSharp;

namespace TorchMmap.Tests.Data.Samplers;

public sealed class RandIntSamplerTests
{
    [Trait("Requires", "python")]
    [Theory]
    [InlineData(1337, 1000003L)]
    [InlineData(0, 7L)]
    [InlineData(-1, 65536L)]
    [InlineData(42, (1L << 32) + 5)]      // ranges of 2^32 and above take PyTorch's 64-bit draw
    [InlineData(7, 1L << 40)]
    public void GetIndices_MatchesPyTorchRandintFromASeededGenerator(long seed, long high)
    {
        var sampler = new RandIntSampler(high, num_samples: 300, seed: seed);
        long[] epoch0 = sampler.GetIndices();
        sampler.SetEpoch(1);
        long[] epoch1 = sampler.GetIndices();
        // PyTorch: one generator seeded once; get_batch-style calls of 12 draws continue the same stream across our epochs.
        string output = TorchReference.Run(string.Create(CultureInfo.InvariantCulture, $"""
g = torch.Generator()
g.manual_seed({(seed < 0 ? "0xffffffffffffffff" : seed.ToString(CultureInfo.InvariantCulture))})
out = []
for _ in range(50):
    out += torch.randint({high}, (12,), generator=g).tolist()
print(' '.join(map(str, out)))
"""));
        long[] expected = output.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        Assert.Equal(expected[..300], epoch0);
        Assert.Equal(expected[300..600], epoch1);
    }

    [Fact]
    public void GetIndices_AnyEpochDirectly_EqualsReachingItInOrder()
    {
        var ordered = new RandIntSampler(5000, 64, seed: 3);
        var direct = new RandIntSampler(5000, 64, seed: 3);
        var epochs = new List<long[]>();
        for (int e = 0; e < 5; e++)
        {
            ordered.SetEpoch(e);
            epochs.Add(ordered.GetIndices());
        }
        direct.SetEpoch(4);
        Assert.Equal(epochs[4], direct.GetIndices());
        direct.SetEpoch(1);
        Assert.Equal(epochs[1], direct.GetIndices());
        Assert.Equal(epochs[1], direct.GetIndices());
    }

    [Fact]
    public void Mt19937_MatchesTorchSharpsGenerator()
    {
        // Cross-check against libtorch's own CPU generator, as TorchSharp exposes it.
        using var generator = new torch.Generator(99);
        using torch.Tensor drawn = torch.randint(123457, new long[] { 2000 }, generator: generator);
        var ours = new RandIntSampler(123457, 2000, seed: 99);
        Assert.Equal(drawn.data<long>().ToArray(), ours.GetIndices());
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandIntSampler(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandIntSampler(10, -1));
    }
}
