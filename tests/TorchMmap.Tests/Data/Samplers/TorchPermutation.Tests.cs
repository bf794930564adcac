using TorchMmap.Data;
using TorchSharp;

namespace TorchMmap.Tests.Data.Samplers;

public sealed class TorchPermutationTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, -1)]
    [InlineData(100, 12345)]
    [InlineData(32_767, 7)]
    [InlineData(32_768, 7)]
    [InlineData(32_769, 7)]
    [InlineData(60_000, 2)]
    [InlineData(100_003, long.MaxValue)]
    public void RandPerm_BelowTheManagedLimit_EqualsLibtorchsRandperm(long length, long seed)
    {
        // libtorch's own randperm through TorchSharp, with a generator seeded as the loader seeds it. Lengths around
        // 32,768 (libtorch's parallel grain) cover both of its ways of filling 0..n-1 before the shuffle.
        using var generator = new torch.Generator(unchecked((ulong)seed));
        using torch.Tensor expected = torch.randperm(length, generator: generator);

        Assert.Equal(expected.data<long>().ToArray(), TorchPermutation.RandPerm(length, seed));
    }

    [Fact]
    public void RandPerm_Empty_IsEmpty() => Assert.Empty(TorchPermutation.RandPerm(0, 1));
}
