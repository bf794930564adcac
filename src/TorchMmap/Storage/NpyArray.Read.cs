using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Storage;

public sealed unsafe partial class NpyArray
{
    // Below this many bytes a batch is copied on the calling thread: handing work to the pool costs more.
    private const long ParallelThresholdBytes = 512 * 1024;

    // How far ahead, and how much of a row, the gather asks the CPU to fetch.
    private const int PrefetchRows = 4;
    private const long PrefetchRowBytes = 1024;

    /// <summary>Copies the rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) into a new tensor.</summary>
    /// <param name="start">The first row.</param>
    /// <param name="count">The number of rows.</param>
    /// <returns>A new CPU tensor of shape (count, *RowShape), C order, native byte order; the caller owns it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within [0, <see cref="Length"/>].</exception>
    /// <exception cref="InvalidOperationException">The array is 0-d.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file was truncated (or replaced in place) since it was opened.</exception>
    /// <exception cref="InsufficientMemoryException">The result is larger than the memory the process can have.</exception>
    public Tensor ReadRows(long start, long count)
    {
        long length = Length;
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, length - start);
        Tensor result = TensorMemory.EmptyForLoad(BatchShape(count), DType.ScalarType, Path, $"{count} rows");
        try
        {
            using MappedFile.Lease lease = _file.AcquireForAccess();
            byte* dst = TensorMemory.DataPointer(result, nameof(result));
            // Rows without elements copy nothing, however many are asked for (a file may declare billions of them).
            if (RowElements == 0)
                return result;
            if (IsFortranOrder)
                CopyFortranRows(lease, start, null, count, dst);
            else
                LoadElements(lease, DataStart + start * RowBytes, dst, count * RowElements);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Copies the rows at <paramref name="indices"/>, in that order, into a new tensor, as NumPy's <c>x[indices]</c>.</summary>
    /// <param name="indices">Row indices in [0, <see cref="Length"/>), in any order, repeats allowed.</param>
    /// <param name="threads">How many threads may share the copy of a large batch.</param>
    /// <returns>A new CPU tensor of shape (indices.Length, *RowShape); the caller owns it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range, or <paramref name="threads"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The array is 0-d.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file was truncated (or replaced in place) since it was opened.</exception>
    /// <exception cref="InsufficientMemoryException">The result is larger than the memory the process can have.</exception>
    public Tensor Gather(ReadOnlySpan<long> indices, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        CheckIndices(indices);
        Tensor result = TensorMemory.EmptyForLoad(BatchShape(indices.Length), DType.ScalarType, Path, $"{indices.Length} rows");
        try
        {
            GatherCore(indices, TensorMemory.DataPointer(result, nameof(result)), threads);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Copies the rows at <paramref name="indices"/> into an existing tensor, which must be a contiguous CPU tensor of
    /// shape (indices.Length, *RowShape) and this array's <see cref="Format.NpyDType.ScalarType"/>.</summary>
    /// <param name="indices">Row indices in [0, <see cref="Length"/>).</param>
    /// <param name="destination">The tensor to fill; the caller keeps ownership.</param>
    /// <param name="threads">How many threads may share the copy.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong shape, type, device or layout.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range, or <paramref name="threads"/> is not positive.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file was truncated (or replaced in place) since it was opened.</exception>
    public void GatherInto(ReadOnlySpan<long> indices, Tensor destination, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        CheckDestination(destination, indices.Length, nameof(destination));
        CheckIndices(indices);
        GatherCore(indices, TensorMemory.DataPointer(destination, nameof(destination)), threads);
    }

    /// <summary>Copies the whole array into a new tensor of the same shape, as <c>np.load</c> (Fortran-order files come back in C order).</summary>
    /// <returns>A new CPU tensor; the caller owns it.</returns>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file was truncated (or replaced in place) since it was opened.</exception>
    /// <exception cref="InsufficientMemoryException">The result is larger than the memory the process can have.</exception>
    public Tensor ToTensor()
    {
        ReadOnlySpan<long> shape = ShapeSpan;
        if (!IsFortranOrder || Rank < 2)
        {
            Tensor result = TensorMemory.EmptyForLoad(shape, DType.ScalarType, Path, $"the array {Header.FormatShape()}");
            try
            {
                using MappedFile.Lease lease = _file.AcquireForAccess();
                LoadElements(lease, DataStart, TensorMemory.DataPointer(result, nameof(result)), Header.ElementCount);
                return result;
            }
            catch
            {
                result.Dispose();
                throw;
            }
        }

        // Fortran order is C order of the reversed shape: read it that way, then reverse the axes.
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor raw = TensorMemory.EmptyForLoad(FortranLayout.ReversedShape(shape), DType.ScalarType, Path, $"the array {Header.FormatShape()}");
        using (MappedFile.Lease lease = _file.AcquireForAccess())
            LoadElements(lease, DataStart, TensorMemory.DataPointer(raw, nameof(raw)), Header.ElementCount);
        return FortranLayout.ToCOrder(raw).MoveToOuterDisposeScope();
    }

    /// <summary>The number of bytes one row takes once loaded.</summary>
    internal long LoadedRowBytes => RowElements * DType.LoadedItemSize;

    internal long[] BatchShape(long rows)
    {
        long[] shape = new long[_rowShape.Length + 1];
        shape[0] = rows;
        _rowShape.CopyTo(shape, 1);
        return shape;
    }

    internal void CheckDestination(Tensor destination, long rows, string paramName)
    {
        if (destination.dtype != DType.ScalarType)
            throw new ArgumentException(Messages.Format(Messages.DestinationType, destination.dtype, Path, DType.ScalarType), paramName);
        ReadOnlySpan<long> expected = BatchShape(rows);
        if (!destination.shape.AsSpan().SequenceEqual(expected))
            throw new ArgumentException(Messages.Format(Messages.DestinationShape, Format.NpyHeader.FormatShape(destination.shape), rows, Path, Format.NpyHeader.FormatShape(expected)), paramName);
    }

    internal void CheckIndices(ReadOnlySpan<long> indices) =>
        ThrowHelper.ThrowIfAnyOutOfRange(indices, Length, $"'{Path}'", "rows", nameof(indices));

    /// <summary>Copies already-checked rows to <paramref name="dst"/>, a buffer of indices.Length × <see cref="LoadedRowBytes"/> bytes.</summary>
    internal void GatherCore(ReadOnlySpan<long> indices, byte* dst, int threads)
    {
        if (indices.Length == 0 || RowElements == 0)
            return;
        using MappedFile.Lease lease = _file.AcquireForAccess();
        if (TryReadDirect(lease, indices, dst))
            return;
        long totalBytes = indices.Length * LoadedRowBytes;
        int parts = (int)Math.Min(threads, Math.Min(indices.Length, Math.Max(1, totalBytes / ParallelThresholdBytes)));
        if (parts <= 1)
        {
            CopyRange(lease, indices, dst);
            return;
        }
        fixed (long* first = indices)
        {
            nint ip = (nint)first, dp = (nint)dst;
            MappedFile.Lease shared = lease;
            // A part that meets a vanished page throws as a one-thread copy would, not wrapped.
            ParallelCopy.Run(indices.Length, new CopyPlan(parts, null), (from, to) =>
                CopyRange(shared, new ReadOnlySpan<long>((long*)ip + from, to - from), (byte*)dp + from * LoadedRowBytes));
        }
    }

    // Copies the rows at indices to dst: plain loads while the file lease holds, otherwise by the kernel.
    private void CopyRange(in MappedFile.Lease lease, ReadOnlySpan<long> indices, byte* dst)
    {
        if (IsFortranOrder)
        {
            fixed (long* rows = indices)
                CopyFortranRows(lease, 0, rows, indices.Length, dst);
        }
        else if (lease.IsPlain)
        {
            CopyRangePlain(lease.Pointer, indices, dst);
        }
        else
        {
            CopyRangeByKernel(lease, indices, dst);
        }
    }

    // Each run of consecutive indices is one run of the kernel copy (or one staged conversion).
    private void CopyRangeByKernel(in MappedFile.Lease lease, ReadOnlySpan<long> indices, byte* dst)
    {
        long loadedRow = LoadedRowBytes;
        using MappingCopy batch = lease.Batch(write: false);
        int k = 0;
        while (k < indices.Length)
        {
            int end = k + 1;
            while (end < indices.Length && indices[end] == indices[end - 1] + 1)
                end++;
            if (NeedsLoadConversion)
                LoadElements(lease, DataStart + indices[k] * RowBytes, dst + k * loadedRow, (end - k) * RowElements);
            else
                batch.Add(DataStart + indices[k] * RowBytes, dst + k * loadedRow, (end - k) * RowBytes);
            k = end;
        }
        batch.Flush();
    }

    // Runs of consecutive indices are copied with one call each. Fully optimised from the first call: an epoch makes only
    // a few hundred calls, too few for tiered compilation to promote the loop before the epoch is over.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CopyRangePlain(byte* file, ReadOnlySpan<long> indices, byte* dst)
    {
        long loadedRow = LoadedRowBytes;
        byte* data = file + DataStart;
        // Rows in shuffled order sit at random places: each starts with a cache and TLB miss. Asking for the start of the
        // row a few positions ahead lets those misses overlap with the copy of the current one.
        long prefetchBytes = Math.Min(RowBytes, PrefetchRowBytes);
        int k = 0;
        while (k < indices.Length)
        {
            long first = indices[k];
            int end = k + 1;
            while (end < indices.Length && indices[end] == indices[end - 1] + 1)
                end++;
            if (Sse.IsSupported && end + PrefetchRows - 1 < indices.Length)
            {
                byte* ahead = data + indices[end + PrefetchRows - 1] * RowBytes;
                for (long b = 0; b < prefetchBytes; b += 64)
                    Sse.Prefetch0(ahead + b);
            }
            ElementCopier.Load(data + first * RowBytes, dst + k * loadedRow, (end - k) * RowElements, DType);
            k = end;
        }
    }
}
