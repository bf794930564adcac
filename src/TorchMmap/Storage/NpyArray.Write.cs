using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Storage;

public sealed unsafe partial class NpyArray
{
    /// <summary>Writes <paramref name="rows"/> over the rows starting at <paramref name="start"/>, through the mapping.</summary>
    /// <param name="start">The first row to overwrite.</param>
    /// <param name="rows">A CPU tensor of shape (k, *RowShape) and this array's load type; it is not disposed.</param>
    /// <remarks>In <see cref="NpyMode.ReadWrite"/> the bytes reach the file (call <see cref="Flush"/> to force it now);
    /// in <see cref="NpyMode.CopyOnWrite"/> they change only this mapping. Big-endian and widened dtypes are converted back.</remarks>
    /// <exception cref="InvalidOperationException">The array was opened <see cref="NpyMode.ReadOnly"/>, or is 0-d.</exception>
    /// <exception cref="ArgumentException"><paramref name="rows"/> has the wrong type, shape or device, or holds values the file's dtype cannot.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows do not fit in [0, <see cref="Length"/>).</exception>
    /// <exception cref="InvalidDataException">The file was truncated since it was opened.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file has been truncated since it was opened (checked before the copy).</exception>
    public void WriteRows(long start, Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (Mode == NpyMode.ReadOnly)
            throw new InvalidOperationException(Messages.Format(Messages.ArrayReadOnly, Path));
        long length = Length;
        long count = rows.shape.Length > 0 ? rows.shape[0] : -1;
        if (count < 0)
            throw new ArgumentException(Messages.RowsNoFirstDimension, nameof(rows));
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, length - count);
        CheckDestination(rows, count, nameof(rows));

        using DisposeScope scope = torch.NewDisposeScope();
        Tensor source = rows.device_type == DeviceType.CPU ? rows.contiguous() : throw new ArgumentException(Messages.Format(Messages.WriterRowsDevice, rows.device), nameof(rows));
        byte* src = TensorMemory.DataPointer(source, nameof(rows));
        if (src == null)
            return;
        // Check the whole range first, so a value out of range leaves the file untouched (in either order).
        long bad = CheckRepresentable(src, count * RowElements);
        if (bad >= 0)
            ThrowUnrepresentable(bad, nameof(rows));
        using MappedFile.Lease lease = _file.AcquireForAccess();
        if (IsFortranOrder)
            StoreFortranRows(lease, start, count, src);
        else
            StoreElements(lease, DataStart + start * RowBytes, src, count * RowElements);
    }

    // Each element of a row goes to its own place in Fortran-order data: plainly, or through the kernel one row at a time.
    private void StoreFortranRows(in MappedFile.Lease lease, long start, long count, byte* src)
    {
        int loaded = DType.LoadedItemSize;
        int item = DType.ItemSize;
        var walk = new FortranWalk(this);
        if (lease.IsPlain)
        {
            for (long r = 0; r < count; r++, walk.Reset())
            {
                byte* rowStart = lease.Pointer + DataStart + (start + r) * item;
                for (long e = 0; e < RowElements; e++, walk.Next())
                    ElementCopier.Store(src + (r * RowElements + e) * loaded, rowStart + walk.Offset, 1, DType);
            }
            return;
        }
        byte* staging = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)RowBytes);
        try
        {
            using MappingCopy batch = lease.Batch(write: true);
            for (long r = 0; r < count; r++, walk.Reset())
            {
                ElementCopier.Store(src + r * RowElements * loaded, staging, RowElements, DType);
                long rowStart = DataStart + (start + r) * item;
                for (long e = 0; e < RowElements; e++, walk.Next())
                    batch.Add(rowStart + walk.Offset, staging + e * item, item);
                // The staging row is reused for the next row: its runs must be written first.
                batch.Flush();
            }
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(staging);
        }
    }

    private long CheckRepresentable(byte* src, long count)
    {
        if (DType.LoadedItemSize == DType.ItemSize)
            return -1;
        long limit = DType.ItemSize == 2 ? ushort.MaxValue : uint.MaxValue;
        for (long i = 0; i < count; i++)
        {
            long v = DType.ItemSize == 2 ? ((int*)src)[i] : ((long*)src)[i];
            if (v < 0 || v > limit)
                return i;
        }
        return -1;
    }

    private void ThrowUnrepresentable(long element, string paramName) =>
        throw new ArgumentException(Messages.Format(Messages.RowsElementOutOfRange, element, DType, Path), paramName);
}
