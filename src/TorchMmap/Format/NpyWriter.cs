using System.Runtime.CompilerServices;
using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Format;

/// <summary>
/// Streams rows into a new .npy file whose final length is not known in advance, so arrays larger than memory can be
/// built a chunk at a time. The file appears at its path only when <see cref="Complete"/> succeeds.
/// </summary>
/// <remarks>
/// Rows go to a temporary file beside the target; <see cref="Complete"/> writes the final header (NumPy leaves room for
/// the row count to grow, so the header keeps its length), flushes to disk and renames the file into place. A writer
/// that is disposed, or a process that dies, before completing leaves any previous file at the path untouched and no
/// partial file that reads as valid. A writer whose write failed (a full disk, say) refuses everything after,
/// <see cref="Complete"/> included, and deletes its temporary file: rows lost in a failed write could otherwise leave a
/// file whose later rows are shifted yet reads as valid. <see cref="Dispose"/> never throws. The path is replaced as
/// <c>np.save</c> replaces it: through symbolic links, keeping a replaced file's mode and owner. Not thread safe.
/// </remarks>
public sealed class NpyWriter : IDisposable
{
    private const int BufferSize = 1 << 20;

    private readonly long[] _rowShape;
    private readonly NpyHeader _provisional;
    private readonly PendingFile _file;
    private bool _completed;
    private string? _failure;

    private NpyWriter(PendingFile file, NpyDType dtype, long[] rowShape, NpyHeader provisional)
    {
        _file = file;
        DType = dtype;
        _rowShape = rowShape;
        _provisional = provisional;
        // The provisional header validated the row shape by the shared size rule.
        NpyShape.TryGetSize(rowShape, dtype.ItemSize, out long rowElements, out long rowBytes);
        RowElements = rowElements;
        RowBytes = rowBytes;
    }

    /// <summary>The final path of the file.</summary>
    public string Path => _file.Path;

    /// <summary>The temporary file being written until <see cref="Complete"/>.</summary>
    public string TempPath => _file.TempPath;

    /// <summary>The element type written.</summary>
    public NpyDType DType { get; }

    /// <summary>The shape of each row.</summary>
    public IReadOnlyList<long> RowShape => _rowShape;

    /// <summary>Elements per row.</summary>
    public long RowElements { get; }

    /// <summary>Bytes per row.</summary>
    public long RowBytes { get; }

    /// <summary>Rows written so far.</summary>
    public long RowCount { get; private set; }

    /// <summary>True once <see cref="Complete"/> has succeeded.</summary>
    public bool IsCompleted => _completed;

    /// <summary>Starts a new .npy file of rows of <paramref name="rowShape"/>.</summary>
    /// <param name="path">The final path; an existing file there is replaced only on <see cref="Complete"/>.</param>
    /// <param name="dtype">The element type, in native byte order.</param>
    /// <param name="rowShape">The shape of one row (empty for a 1-d array).</param>
    /// <param name="dataAlignment">The data starts at a multiple of this many bytes (see
    /// <see cref="NpyHeader.Create(NpyDType, ReadOnlySpan{long}, bool, int)"/>): 64 as <c>np.save</c> writes, or 4096 for files
    /// read with scattered rows from disk, whose rows of whole pages then each cost one read of just their pages.</param>
    /// <returns>The writer; dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension of <paramref name="rowShape"/> is negative, the row's byte
    /// size overflows, or <paramref name="dataAlignment"/> is not a multiple of 64 from 64 to 8192.</exception>
    /// <exception cref="IOException">The temporary file cannot be created, or <paramref name="path"/> is not a regular file.</exception>
    public static NpyWriter Create(string path, NpyDType dtype, ReadOnlySpan<long> rowShape, int dataAlignment = NpyLayout.Alignment)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(dtype);
        long[] shape = new long[rowShape.Length + 1];
        rowShape.CopyTo(shape.AsSpan(1));
        NpyHeader provisional = NpyHeader.Create(dtype, shape, dataAlignment: dataAlignment);
        // A zeroed preamble has no magic, so the temporary file never reads as .npy before completion.
        return new NpyWriter(PendingFile.Create(path, provisional.EncodedLength, BufferSize), dtype, rowShape.ToArray(), provisional);
    }

    /// <summary>Appends the rows of <paramref name="rows"/>, a CPU tensor of shape (k, *RowShape) and the writer's type.</summary>
    /// <param name="rows">The rows; not disposed.</param>
    /// <exception cref="ArgumentException">The tensor's type, shape or device does not match.</exception>
    /// <exception cref="InvalidOperationException">The writer is completed, or an earlier write failed.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    /// <exception cref="IOException">The rows cannot be written; the writer then refuses everything after and its temporary file is deleted.</exception>
    public unsafe void Append(Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        FileStream stream = ThrowIfNotWritable();
        if (DType.NeedsConversion || rows.dtype != DType.ScalarType)
            throw new ArgumentException(Messages.Format(Messages.WriterRowsType, rows.dtype, Path, DType, DType.NeedsConversion ? "spans, not tensors" : DType.ScalarType.ToString()), nameof(rows));
        long[] shape = rows.shape;
        if (shape.Length != _rowShape.Length + 1 || !shape.AsSpan(1).SequenceEqual(_rowShape))
            throw new ArgumentException(Messages.Format(Messages.WriterRowsShape, NpyHeader.FormatShape(shape), Path, NpyHeader.FormatShape(_rowShape)), nameof(rows));
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor source = rows.device_type == DeviceType.CPU ? rows.contiguous() : throw new ArgumentException(Messages.Format(Messages.WriterRowsDevice, rows.device), nameof(rows));
        byte* p = TensorMemory.DataPointer(source, nameof(rows));
        try
        {
            TensorMemory.WriteTo(stream, p, shape[0] * RowBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(e);
            throw;
        }
        RowCount += shape[0];
    }

    /// <summary>Appends whole rows from a span of elements (or of raw bytes, when <typeparamref name="T"/> is <see cref="byte"/>).</summary>
    /// <typeparam name="T">An element type of the dtype's item size, or <see cref="byte"/>.</typeparam>
    /// <param name="values">The values, in C order and the dtype's byte order; a whole number of rows.</param>
    /// <exception cref="ArgumentException">The element size or the number of values does not fit.</exception>
    /// <exception cref="InvalidOperationException">The writer is completed, or an earlier write failed.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    /// <exception cref="IOException">The rows cannot be written; the writer then refuses everything after and its temporary file is deleted.</exception>
    public void Append<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        FileStream stream = ThrowIfNotWritable();
        int size = Unsafe.SizeOf<T>();
        if (size != DType.ItemSize && typeof(T) != typeof(byte))
            throw new ArgumentException(Messages.Format(Messages.WriterElementSize, typeof(T).Name, size, DType, DType.ItemSize), nameof(values));
        long bytes = (long)values.Length * size;
        if (RowBytes == 0 ? bytes != 0 : bytes % RowBytes != 0)
            throw new ArgumentException(Messages.Format(Messages.WriterPartialRow, values.Length, RowElements), nameof(values));
        try
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(e);
            throw;
        }
        RowCount += RowBytes == 0 ? 0 : bytes / RowBytes;
    }

    /// <summary>Appends <paramref name="count"/> empty rows (only meaningful when a row has no elements).</summary>
    /// <param name="count">The number of rows.</param>
    /// <exception cref="InvalidOperationException">Rows have elements, the writer is completed, or an earlier write failed.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void AppendEmptyRows(long count)
    {
        ThrowIfNotWritable();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (RowElements != 0)
            throw new InvalidOperationException(Messages.Format(Messages.WriterRowsHaveElements, Path));
        RowCount += count;
    }

    /// <summary>Writes the final header, flushes the file to disk and moves it to <see cref="Path"/>.</summary>
    /// <exception cref="InvalidOperationException">The writer is already completed, or an earlier write failed.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written or moved; the writer is then disposed and its temporary file deleted.</exception>
    public void Complete()
    {
        ThrowIfNotWritable();
        long[] shape = new long[_rowShape.Length + 1];
        shape[0] = RowCount;
        _rowShape.CopyTo(shape, 1);
        NpyHeader header = _provisional.WithShape(shape);
        try
        {
            _file.Commit(header.ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(e);
            throw;
        }
        _completed = true;
    }

    /// <summary>Closes the writer; if it was not completed, deletes the temporary file and leaves <see cref="Path"/> as it was. Never throws.</summary>
    public void Dispose() => _file.Dispose();

    private FileStream ThrowIfNotWritable()
    {
        if (_completed)
            throw new InvalidOperationException(Messages.Format(Messages.WriterCompleted, Path));
        if (_failure is not null)
            throw new InvalidOperationException(Messages.Format(Messages.WriterFailed, Path, _failure));
        return _file.IsDisposed ? throw new ObjectDisposedException(nameof(NpyWriter), Messages.Format(Messages.WriterDisposed, Path)) : _file.Stream;
    }

    // A write that fails leaves the file with an unknown part of the rows: the writer refuses everything after and
    // gives the disk space back at once.
    private void Fail(Exception e)
    {
        _failure = e.Message;
        Dispose();
    }
}
