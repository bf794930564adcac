using System.Diagnostics;

namespace TorchMmap.Format;

/// <summary>The one rule for how many elements and bytes an array of a shape holds, shared by every reader and writer.</summary>
internal static class NpyShape
{
    /// <summary>
    /// Computes the element and byte counts of <paramref name="shape"/>, as NumPy does ("array is too big"): every
    /// dimension is non-negative, and the item size times the product of the non-zero dimensions fits in 64 bits, even
    /// when a zero dimension makes the array empty. So a row size or stride computed from any part of a shape that passes
    /// cannot overflow, and whatever a writer accepts its reader accepts too.
    /// </summary>
    /// <returns>False when a dimension is negative or the size overflows.</returns>
    public static bool TryGetSize(ReadOnlySpan<long> shape, int itemSize, out long elementCount, out long byteCount)
    {
        Debug.Assert(itemSize > 0);
        long nonZeroBytes = itemSize;
        bool empty = false;
        foreach (long d in shape)
        {
            if (d < 0 || (d > 0 && nonZeroBytes > long.MaxValue / d))
            {
                elementCount = byteCount = 0;
                return false;
            }
            if (d == 0)
                empty = true;
            else
                nonZeroBytes *= d;
        }
        byteCount = empty ? 0 : nonZeroBytes;
        elementCount = byteCount / itemSize;
        return true;
    }
}
