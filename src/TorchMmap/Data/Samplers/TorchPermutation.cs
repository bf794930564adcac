namespace TorchMmap.Data;

/// <summary>Draws permutations as libtorch's CPU generator does, so orders match PyTorch's for the same seed.</summary>
internal static class TorchPermutation
{
    /// <summary>
    /// Returns <c>torch.randperm(length, generator=g)</c> where <c>g</c> is a CPU generator seeded with
    /// <paramref name="seed"/>, as PyTorch's <c>DistributedSampler</c> draws it.
    /// </summary>
    /// <param name="length">The number of elements to permute.</param>
    /// <param name="seed">The generator seed; negative values wrap to 64-bit unsigned, as in PyTorch.</param>
    /// <returns>A new array holding a permutation of <c>0</c> to <paramref name="length"/> - 1.</returns>
    /// <remarks>Drawn here rather than by libtorch, whose <c>randperm</c> fills 0..n-1 with an OpenMP team: the team then
    /// spins on the other cores for milliseconds after every epoch's draw, which on a small machine takes them from the
    /// loader's threads.</remarks>
    internal static long[] RandPerm(long length, long seed) =>
        // PyTorch's manual_seed(-1) seeds with 2**64 - 1; the unchecked cast matches that.
        RandPerm(new Mt19937(unchecked((ulong)seed)), length);

    /// <summary>
    /// libtorch's CPU <c>randperm</c> (aten/src/ATen/native/TensorFactories.cpp, <c>randperm_cpu</c>) drawing from
    /// <paramref name="generator"/>: below <see cref="WideFrom"/> a Fisher-Yates shuffle of 0..n-1 with one 32-bit draw
    /// per position, <c>z = random() % (n - i)</c>; from there on the inside-out variant with one 64-bit draw per position,
    /// <c>z = random64() % (i + 1)</c>.
    /// </summary>
    internal static long[] RandPerm(Mt19937 generator, long length)
    {
        var order = new long[length];
        if (length < WideFrom)
        {
            for (long i = 0; i < length; i++)
            {
                order[i] = i;
            }

            for (long i = 0; i < length - 1; i++)
            {
                long z = generator.NextUInt32() % (length - i);
                (order[i], order[z + i]) = (order[z + i], order[i]);
            }

            return order;
        }

        for (long i = 0; i < length; i++)
        {
            long z = (long)(generator.NextUInt64() % (ulong)(i + 1));
            order[i] = order[z];
            order[z] = i;
        }

        return order;
    }

    /// <summary>The 32-bit outputs one <see cref="RandPerm(Mt19937, long)"/> of <paramref name="length"/> takes from its generator.</summary>
    internal static long Draws(long length) => length < WideFrom ? Math.Max(0, length - 1) : 2 * length;

    /// <summary>From this length on, libtorch's <c>randperm</c> draws 64-bit numbers (<c>uint32 max / 20</c>).</summary>
    internal const long WideFrom = uint.MaxValue / 20;

    /// <summary>Copies <c>order[start + j * stride]</c> into <c>destination[j]</c>.</summary>
    internal static void CopyStrided(long[] order, long start, long stride, Span<long> destination)
    {
        if (stride == 1)
        {
            order.AsSpan((int)start, destination.Length).CopyTo(destination);
            return;
        }

        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = order[start + (j * stride)];
        }
    }
}
