using TorchMmap.Data;
using TorchMmap.Internal;
using TorchMmap.Tests.Hardening;
using TorchSharp;

namespace TorchMmap.Tests.Data.Samplers;

/// <summary>Runs alone: the two permutations compared hold 3.4 GB between them.</summary>
[Collection(SoakCollection.Name)]
public sealed class TorchPermutationWideTests
{
    [Fact]
    public unsafe void RandPerm_WhereLibtorchDrawsSixtyFourBits_EqualsLibtorchsRandperm()
    {
        // From uint32 max / 20 elements on, libtorch shuffles inside-out with one 64-bit draw per position; this is the
        // smallest such length.
        const long Length = TorchPermutation.WideFrom;
        long[] ours = TorchPermutation.RandPerm(Length, seed: 3);
        using var generator = new torch.Generator(3);
        using torch.Tensor expected = torch.randperm(Length, generator: generator);
        var theirs = new ReadOnlySpan<long>(TensorMemory.DataPointer(expected, nameof(expected)), checked((int)Length));

        int differs = theirs.CommonPrefixLength(ours);
        Assert.True(differs == Length, $"The permutations differ first at position {differs}.");
    }
}
