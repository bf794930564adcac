using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchMmap.Format;

namespace TorchMmap.Storage;

public sealed unsafe partial class NpyArray
{
    // Rows of Fortran-order data are assembled in blocks of about this many bytes: large enough that each element
    // position is read as one long sequential run, small enough that the block being written stays in cache.
    private const long FortranBlockBytes = 1 << 20;

    private long[]? _fortranOffsets;

    // In Fortran order each element position of a row (a column of the rows × row-elements matrix) is stored for all
    // rows together, so copying a block of rows one element position at a time reads the file in sequential runs
    // instead of touching every column once per row. Rows come from indices when given, else from start onwards.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CopyFortranRows(byte* file, long start, long* indices, long count, byte* dst)
    {
        if (count == 0)
            return;
        long[] offsets = FortranOffsets();
        int item = DType.ItemSize;
        long rowBytes = RowElements * item;
        // Raw file bytes are assembled in C order, then converted in one pass; without a conversion, straight into dst.
        bool convert = DType.Kind == NpyKind.Bool || DType.NeedsConversion;
        long block = Math.Clamp(FortranBlockBytes / rowBytes, 1, count);
        byte* staging = convert ? (byte*)NativeMemory.Alloc((nuint)(block * rowBytes)) : null;
        try
        {
            for (long b = 0; b < count; b += block)
            {
                long n = Math.Min(block, count - b);
                byte* raw = convert ? staging : dst + b * LoadedRowBytes;
                long* blockIndices = indices == null ? null : indices + b;
                for (long e = 0; e < offsets.Length; e++)
                    CopyColumn(file + DataStart + offsets[e], blockIndices, start + b, n, raw + e * item, rowBytes, item);
                if (convert)
                    ElementCopier.Load(staging, dst + b * LoadedRowBytes, n * RowElements, DType);
            }
        }
        finally
        {
            NativeMemory.Free(staging);
        }
    }

    // Copies one element position of n rows: from the column's items (rows first.. or at indices) to every rowBytes of to.
    private static void CopyColumn(byte* column, long* indices, long first, long n, byte* to, long rowBytes, int item)
    {
        switch (item)
        {
            case 1:
                CopyColumn<byte>(column, indices, first, n, to, rowBytes);
                break;
            case 2:
                CopyColumn<ushort>(column, indices, first, n, to, rowBytes);
                break;
            case 4:
                CopyColumn<uint>(column, indices, first, n, to, rowBytes);
                break;
            case 8:
                CopyColumn<ulong>(column, indices, first, n, to, rowBytes);
                break;
            default:
                CopyColumn<Int128>(column, indices, first, n, to, rowBytes);
                break;
        }
    }

    // One loop per item type and row source, so the per-item work is a load and a store.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyColumn<T>(byte* column, long* indices, long first, long n, byte* to, long rowBytes)
        where T : unmanaged
    {
        if (indices == null)
        {
            byte* from = column + first * sizeof(T);
            for (long r = 0; r < n; r++)
                Unsafe.WriteUnaligned(to + r * rowBytes, Unsafe.ReadUnaligned<T>(from + r * sizeof(T)));
        }
        else
        {
            for (long r = 0; r < n; r++)
                Unsafe.WriteUnaligned(to + r * rowBytes, Unsafe.ReadUnaligned<T>(column + indices[r] * sizeof(T)));
        }
    }

    // The byte offset of each element of a row, relative to the row's first element, for Fortran-order data.
    private long[] FortranOffsets()
    {
        if (_fortranOffsets is { } cached)
            return cached;
        long[] offsets = new long[RowElements];
        long[] strides = new long[_rowShape.Length];
        long stride = Header.ShapeArray[0];
        for (int d = 0; d < _rowShape.Length; d++)
        {
            strides[d] = stride;
            stride *= _rowShape[d];
        }
        long[] index = new long[_rowShape.Length];
        for (long e = 0; e < RowElements; e++)
        {
            long linear = 0;
            for (int d = 0; d < index.Length; d++)
                linear += index[d] * strides[d];
            offsets[e] = linear * DType.ItemSize;
            for (int d = index.Length - 1; d >= 0; d--)
            {
                if (++index[d] < _rowShape[d])
                    break;
                index[d] = 0;
            }
        }
        return _fortranOffsets = offsets;
    }
}
