using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TorchMmap.Storage;

public sealed unsafe partial class NpyArray
{
    // Rows of Fortran-order data are assembled in blocks of about this many bytes: large enough that each element
    // position is read as one long sequential run, small enough that the block being written stays in cache.
    private const long FortranBlockBytes = 1 << 20;

    // In Fortran order each element position of a row (a column of the rows × row-elements matrix) is stored for all
    // rows together, so copying a block of rows one element position at a time reads the file in sequential runs
    // instead of touching every column once per row. Rows come from indices when given, else from start onwards.
    // Element positions are walked in C order, never tabulated: a table costs 8 bytes per element of a row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CopyFortranRows(in MappedFile.Lease lease, long start, long* indices, long count, byte* dst)
    {
        if (count == 0)
            return;
        int item = DType.ItemSize;
        long rowBytes = RowElements * item;
        // Raw file bytes are assembled in C order, then converted in one pass; without a conversion, straight into dst.
        bool convert = NeedsLoadConversion;
        long block = Math.Clamp(FortranBlockBytes / rowBytes, 1, count);
        byte* staging = convert ? (byte*)NativeMemory.Alloc((nuint)(block * rowBytes)) : null;
        // Without the lease, columns are gathered by the kernel into a buffer first, some element positions at a time.
        long positionsPerGather = Math.Clamp(FortranBlockBytes / (block * item), 1, RowElements);
        byte* columns = lease.IsPlain ? null : (byte*)NativeMemory.Alloc((nuint)(positionsPerGather * block * item));
        var walk = new FortranWalk(this);
        try
        {
            for (long b = 0; b < count; b += block)
            {
                long n = Math.Min(block, count - b);
                byte* raw = convert ? staging : dst + b * LoadedRowBytes;
                long* blockIndices = indices == null ? null : indices + b;
                if (lease.IsPlain)
                {
                    walk.Reset();
                    for (long e = 0; e < RowElements; e++, walk.Next())
                        CopyColumn(lease.Pointer + DataStart + walk.Offset, blockIndices, start + b, n, raw + e * item, rowBytes, item);
                }
                else
                {
                    GatherColumnsByKernel(lease, blockIndices, start + b, n, raw, columns, positionsPerGather);
                }
                if (convert)
                    ElementCopier.Load(staging, dst + b * LoadedRowBytes, n * RowElements, DType);
            }
        }
        finally
        {
            NativeMemory.Free(staging);
            NativeMemory.Free(columns);
        }
    }

    // The kernel copies the items of several element positions for n rows into columns (position-major), which are then
    // spread into the rows at raw like plain column copies.
    private void GatherColumnsByKernel(in MappedFile.Lease lease, long* indices, long first, long n, byte* raw, byte* columns, long positionsPerGather)
    {
        int item = DType.ItemSize;
        long rowBytes = RowElements * item;
        var walk = new FortranWalk(this);
        using MappingCopy batch = lease.Batch(write: false);
        for (long e0 = 0; e0 < RowElements; e0 += positionsPerGather)
        {
            long m = Math.Min(positionsPerGather, RowElements - e0);
            for (long j = 0; j < m; j++, walk.Next())
            {
                long column = DataStart + walk.Offset;
                byte* to = columns + j * n * item;
                if (indices == null)
                {
                    batch.Add(column + first * item, to, n * item);
                }
                else
                {
                    for (long r = 0; r < n; r++)
                        batch.Add(column + indices[r] * item, to + r * item, item);
                }
            }
            batch.Flush();
            for (long j = 0; j < m; j++)
                CopyColumn(columns + j * n * item, null, 0, n, raw + (e0 + j) * item, rowBytes, item);
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

    /// <summary>
    /// Walks the element positions of a row in C order, keeping the byte offset of each from the row's first element in
    /// Fortran-order data: dimension d of the row steps by Length × (the row dimensions before d) items.
    /// </summary>
    private struct FortranWalk
    {
        private readonly long[] _shape;
        private readonly long[] _stride;
        private readonly long[] _index;

        public FortranWalk(NpyArray array)
        {
            _shape = array._rowShape;
            _stride = new long[_shape.Length];
            _index = new long[_shape.Length];
            long stride = array.Header.ShapeArray[0] * array.DType.ItemSize;
            for (int d = 0; d < _shape.Length; d++)
            {
                _stride[d] = stride;
                stride *= _shape[d];
            }
            Offset = 0;
        }

        /// <summary>The byte offset of the current element position.</summary>
        public long Offset { get; private set; }

        /// <summary>Returns to the first element position.</summary>
        public void Reset()
        {
            Array.Clear(_index);
            Offset = 0;
        }

        /// <summary>Moves to the next element position in C order (past the last, the offset returns to 0).</summary>
        public void Next()
        {
            for (int d = _index.Length - 1; d >= 0; d--)
            {
                if (++_index[d] < _shape[d])
                {
                    Offset += _stride[d];
                    return;
                }
                Offset -= (_shape[d] - 1) * _stride[d];
                _index[d] = 0;
            }
        }
    }
}
