using System.Buffers.Binary;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// Decodes .npy data bytes into the bytes a loaded tensor must hold (C order, native little-endian byte order, uint16
/// and uint32 widened, bools as 0 or 1), element by element and without the library's copier, as the fuzzer's oracle.
/// </summary>
public static class ExpectedValues
{
    /// <summary>Decodes the whole array.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="fortran">True when <paramref name="data"/> is in Fortran order.</param>
    /// <param name="data">The data bytes (at least as many as the shape needs).</param>
    /// <returns>The expected tensor bytes in C order.</returns>
    public static byte[] Decode(FuzzDType dtype, IReadOnlyList<long> shape, bool fortran, ReadOnlySpan<byte> data)
    {
        long count = 1;
        foreach (long d in shape)
            count *= d;
        byte[] result = new byte[checked((int)(count * dtype.LoadedSize))];
        long[] index = new long[shape.Count];
        for (long c = 0; c < count; c++)
        {
            long source = fortran ? FortranOffset(index, shape) : c;
            DecodeOne(dtype, data.Slice((int)(source * dtype.ItemSize), dtype.ItemSize), result.AsSpan((int)(c * dtype.LoadedSize), dtype.LoadedSize));
            for (int d = index.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d])
                    break;
                index[d] = 0;
            }
        }
        return result;
    }

    private static long FortranOffset(long[] index, IReadOnlyList<long> shape)
    {
        long offset = 0, stride = 1;
        for (int d = 0; d < index.Length; d++)
        {
            offset += index[d] * stride;
            stride *= shape[d];
        }
        return offset;
    }

    private static void DecodeOne(FuzzDType dtype, ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (dtype.Kind == 'b')
        {
            dst[0] = src[0] != 0 ? (byte)1 : (byte)0;
            return;
        }
        // Complex values are two floats, each swapped on its own.
        int part = dtype.Kind == 'c' ? dtype.ItemSize / 2 : dtype.ItemSize;
        Span<byte> native = stackalloc byte[dtype.ItemSize];
        for (int p = 0; p < dtype.ItemSize; p += part)
        {
            src.Slice(p, part).CopyTo(native[p..]);
            if (dtype.BigEndian)
                native.Slice(p, part).Reverse();
        }
        if (dtype.LoadedSize == dtype.ItemSize)
        {
            native.CopyTo(dst);
            return;
        }
        if (dtype.ItemSize == 2)
            BinaryPrimitives.WriteInt32LittleEndian(dst, BinaryPrimitives.ReadUInt16LittleEndian(native));
        else
            BinaryPrimitives.WriteInt64LittleEndian(dst, BinaryPrimitives.ReadUInt32LittleEndian(native));
    }
}
