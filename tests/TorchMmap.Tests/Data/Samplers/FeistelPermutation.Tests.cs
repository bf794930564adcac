using CsCheck;
using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public sealed class FeistelPermutationTests
{
    // Lengths where the covering domain is tight or loose: 1, powers of two and their neighbours, primes.
    public static TheoryData<long> EdgeLengths() =>
        [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 97, 127, 128, 129, 251, 256, 257, 1021, 1024, 1025, 4093, 4096, 4099, 65521, 65536, 65537];

    [Theory]
    [MemberData(nameof(EdgeLengths))]
    public void Indexer_EdgeLengths_IsPermutationForManyKeys(long length)
    {
        for (ulong key = 0; key < 20; key++)
        {
            AssertPermutation(length, SplitMix64.Mix(key * 7919));
        }
    }

    [Fact]
    public void Indexer_RandomLengthsAndKeys_IsPermutation() =>
        Gen.Select(Gen.Long[1, 20_000], Gen.ULong).Sample((length, key) => AssertPermutation(length, key), iter: 300);

    [Theory]
    [InlineData(1L << 40)]
    [InlineData((1L << 40) - 1)]
    [InlineData((1L << 40) + 1)]
    [InlineData(1_099_511_627_689)]   // the largest prime below 2^40
    [InlineData(10_000_000_000)]
    public void Indexer_LengthsNearTwoToThe40_MapsSampledPositionsInRangeAndInvertibly(long length)
    {
        // Checked by sampling: every image is in range, the inverse undoes the map (so it is injective), and 200 000
        // sampled positions give 200 000 distinct values.
        var permutation = new FeistelPermutation((ulong)length, 0x5EED);
        var seen = new HashSet<ulong>();
        Gen.Long[0, length - 1].Sample(position =>
        {
            ulong value = permutation[(ulong)position];
            Assert.True(value < (ulong)length);
            Assert.Equal((ulong)position, permutation.Inverse(value));
        }, iter: 20_000);
        for (ulong p = 0; p < 200_000; p++)
        {
            Assert.True(seen.Add(permutation[p * 5_477_003 % (ulong)length]));
        }
    }

    [Fact]
    public void Indexer_DifferentKeys_GiveDifferentOrders()
    {
        var a = new FeistelPermutation(1000, 1);
        var b = new FeistelPermutation(1000, 2);
        int same = Enumerable.Range(0, 1000).Count(p => a[(ulong)p] == b[(ulong)p]);
        Assert.True(same < 20, $"{same} of 1000 positions agree");
    }

    [Fact]
    public void Indexer_Order_IsNotCloseToTheIdentity()
    {
        // A shuffle, not a small perturbation: consecutive positions land far apart on average.
        var permutation = new FeistelPermutation(100_000, 42);
        double meanJump = Enumerable.Range(0, 99_999).Average(p => Math.Abs((double)permutation[(ulong)p + 1] - permutation[(ulong)p]));
        Assert.InRange(meanJump, 25_000, 42_000);   // a uniform random permutation gives n / 3 = 33 333
    }

    private static void AssertPermutation(long length, ulong key)
    {
        var permutation = new FeistelPermutation((ulong)length, key);
        var hit = new bool[length];
        for (long p = 0; p < length; p++)
        {
            ulong value = permutation[(ulong)p];
            Assert.True(value < (ulong)length, $"position {p} maps to {value}, outside [0, {length})");
            Assert.False(hit[value], $"value {value} is hit twice for length {length}, key {key}");
            hit[value] = true;
            Assert.Equal((ulong)p, permutation.Inverse(value));
        }
    }
}
