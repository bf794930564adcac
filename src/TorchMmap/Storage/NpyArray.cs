using System.Buffers;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// A .npy array mapped from disk. Nothing is loaded when it opens: reads copy just the rows asked for from the
/// mapping into new tensors, so arrays far larger than memory can be used.
/// </summary>
/// <remarks>
/// <para>
/// The header and the file's length are validated when the array opens, so no later read can run past the mapping.
/// Another process may still shrink the file afterwards, and touching a mapped page the file no longer backs raises
/// SIGBUS, which kills a process. On Linux no read or write here can do that: copies are plain loads only while a file
/// lease (<c>F_SETLEASE</c>) makes anyone who opens the file for writing or truncates it wait until the copies in flight
/// end; without a lease (or once someone has opened the file for writing) the kernel makes each copy, and a page that is
/// gone becomes an <see cref="InvalidDataException"/> naming the file. Replacing a file by rename is safe: the mapping
/// keeps reading the old file until the array is reopened. <see cref="EnsureFileIntact"/> checks the length on demand.
/// </para>
/// <para>
/// Reads are thread safe and may run concurrently with each other and with <see cref="Dispose"/>: a read that started
/// keeps the mapping alive until it ends, and reads that start after dispose throw <see cref="ObjectDisposedException"/>.
/// Writes through a <see cref="NpyMode.ReadWrite"/> or <see cref="NpyMode.CopyOnWrite"/> mapping are not synchronised
/// with reads of the same rows.
/// </para>
/// </remarks>
public sealed partial class NpyArray : IDisposable
{
    // Rows closer than this are hinted as one range: reading a few pages between them costs less than another request.
    private const long WillNeedCoalesceBytes = 64 * 1024;

    private readonly MappedFile _file;
    private readonly long[] _rowShape;

    // dataStart: the file offset of the first data byte (after the header, inside an archive, or the raw offset).
    private NpyArray(MappedFile file, long dataStart, NpyHeader header, string path, bool isRaw = false)
    {
        _file = file;
        DataStart = dataStart;
        Header = header;
        Path = path;
        IsRaw = isRaw;
        _rowShape = header.Rank == 0 ? [] : header.ShapeArray[1..];
        RowElements = NpyHeader.ComputeElementCount(_rowShape) ?? 0;
        RowBytes = RowElements * header.DType.ItemSize;
    }

    /// <summary>The file (for an .npz entry, the archive path and the entry name).</summary>
    public string Path { get; }

    /// <summary>The validated header. For a raw array (<see cref="IsRaw"/>) it is synthesized from the dtype, shape and order
    /// the caller gave, and its <see cref="NpyHeader.DataOffset"/> describes no file: the data starts at <see cref="DataStart"/>.</summary>
    public NpyHeader Header { get; }

    /// <summary>True for a headerless file opened with <see cref="OpenRaw"/> or <see cref="CreateRaw"/> (NumPy's <c>np.memmap</c>).</summary>
    public bool IsRaw { get; }

    /// <summary>The file offset of the first data byte.</summary>
    public long DataStart { get; }

    /// <summary>The dtype of the stored elements.</summary>
    public NpyDType DType => Header.DType;

    /// <summary>The shape of the array.</summary>
    public IReadOnlyList<long> Shape => Header.Shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => Header.Rank;

    /// <summary>How the file is mapped.</summary>
    public NpyMode Mode => _file.Mode;

    /// <summary>The number of rows: the first dimension.</summary>
    /// <exception cref="InvalidOperationException">The array is 0-d and has no rows (as NumPy's <c>len()</c> of a 0-d array).</exception>
    public long Length => Rank == 0 ? throw new InvalidOperationException($"'{Path}' holds a 0-d array, which has no rows.") : Header.ShapeArray[0];

    /// <summary>The shape of one row: the shape without its first dimension.</summary>
    public IReadOnlyList<long> RowShape => _rowShape;

    /// <summary>The number of elements in one row.</summary>
    public long RowElements { get; }

    /// <summary>The number of bytes one row takes in the file.</summary>
    public long RowBytes { get; }

    /// <summary>True when the data is in Fortran order; row reads then gather strided elements and are slower.</summary>
    public bool IsFortranOrder => Header.FortranOrder;

    /// <summary>True once the array has been disposed.</summary>
    public bool IsDisposed => _file.IsDisposed;

    internal ReadOnlySpan<long> RowShapeSpan => _rowShape;

    /// <summary>True while a file lease lets copies be plain loads (tests check which copy path they exercise).</summary>
    internal bool HasFileLease => _file.HasLease;

    internal ReadOnlySpan<long> ShapeSpan => Header.ShapeArray;

    /// <summary>Maps the .npy file at <paramref name="path"/> for reading, as <c>np.load(path, mmap_mode='r')</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The mapped array; dispose it to unmap.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed .npy file, or is shorter than its header says.</exception>
    /// <exception cref="NotSupportedException">The file's dtype cannot be loaded (for example uint64 or object arrays).</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped, or is not a regular file (a FIFO, a device, a directory).</exception>
    public static NpyArray Open(string path) => Open(path, NpyMode.ReadOnly, options: null);

    /// <summary>Maps the .npy file at <paramref name="path"/>, as <c>np.load(path, mmap_mode=...)</c>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">The mapping mode: <c>'r'</c>, <c>'r+'</c> or <c>'c'</c>.</param>
    /// <returns>The mapped array; dispose it to unmap.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined value.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed .npy file, or is shorter than its header says.</exception>
    /// <exception cref="NotSupportedException">The file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped, or is not a regular file (a FIFO, a device, a directory).</exception>
    public static NpyArray Open(string path, NpyMode mode) => Open(path, mode, options: null);

    /// <summary>Maps the .npy file at <paramref name="path"/> with explicit header limits.</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">The mapping mode.</param>
    /// <param name="options">Header limits; the defaults when null.</param>
    /// <returns>The mapped array; dispose it to unmap.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined value.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed .npy file, or is shorter than its header says.</exception>
    /// <exception cref="NotSupportedException">The file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be opened or mapped, or is not a regular file (a FIFO, a device, a directory).</exception>
    public static NpyArray Open(string path, NpyMode mode, NpyReadOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown mapping mode.");
        FileStream stream = OpenStream(path, mode);
        try
        {
            NpyHeader header = NpyHeader.Read(stream, path, options);
            return new NpyArray(MappedFile.Map(path, stream, mode, header.DataOffset + header.DataLength), header.DataOffset, header, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a new .npy file of zeros and maps it for reading and writing, as <c>np.lib.format.open_memmap(path, 'w+', ...)</c>.
    /// An existing file at <paramref name="path"/> is replaced.
    /// </summary>
    /// <param name="path">The file to create.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="fortranOrder">True to lay the data out in Fortran order.</param>
    /// <returns>The mapped array in <see cref="NpyMode.ReadWrite"/> mode.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or the size overflows.</exception>
    /// <exception cref="IOException">The file cannot be created.</exception>
    public static NpyArray Create(string path, NpyDType dtype, ReadOnlySpan<long> shape, bool fortranOrder = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        NpyHeader header = NpyHeader.Create(dtype, shape, fortranOrder);
        return CreateCore(path, header, header.DataOffset, isRaw: false);
    }

    // The one way a new mapped file is made (.npy and raw alike): create or replace the file, write the header for a .npy
    // file (a raw file's bytes before dataStart stay zero, as np.memmap's), size it, and map it.
    private static NpyArray CreateCore(string path, NpyHeader header, long dataStart, bool isRaw)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            if (!isRaw)
                stream.Write(header.ToArray());
            stream.SetLength(dataStart + header.DataLength);
            return new NpyArray(MappedFile.Map(path, stream, NpyMode.ReadWrite, dataStart + header.DataLength), dataStart, header, path, isRaw);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Maps a stored (uncompressed) entry of an .npz archive in place, without extracting it.</summary>
    /// <param name="path">The .npz file.</param>
    /// <param name="name">The array's name (the entry name without <c>.npy</c>).</param>
    /// <param name="mode"><see cref="NpyMode.ReadOnly"/> or <see cref="NpyMode.CopyOnWrite"/>. Writing into the archive is refused:
    /// it would leave the entry's CRC-32 stale, and zip readers (NumPy's included) would then reject the archive.</param>
    /// <returns>The mapped array.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> or <paramref name="name"/> is null or empty, or <paramref name="mode"/> is <see cref="NpyMode.ReadWrite"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined value.</exception>
    /// <exception cref="KeyNotFoundException">The archive has no such array.</exception>
    /// <exception cref="InvalidDataException">The archive or the entry is malformed.</exception>
    /// <exception cref="NotSupportedException">The entry is compressed, or its dtype cannot be loaded.</exception>
    public static NpyArray OpenNpzEntry(string path, string name, NpyMode mode = NpyMode.ReadOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown mapping mode.");
        if (mode == NpyMode.ReadWrite)
            throw new ArgumentException(Messages.Format(Messages.NpzReadWrite, path, name), nameof(mode));
        FileStream stream = OpenStream(path, mode);
        try
        {
            NpzEntry entry = NpzArchive.ReadDirectory(stream, path).Find(name);
            entry.ThrowIfNotMappable();
            stream.Position = entry.DataOffset;
            string display = $"{path}[{entry.ArrayName}]";
            NpyHeader header = NpyHeader.Read(new SubReadStream(stream, entry.DataOffset, entry.Size), display);
            return new NpyArray(MappedFile.Map(path, stream, mode, entry.DataOffset + header.DataOffset + header.DataLength), entry.DataOffset + header.DataOffset, header, display);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks that the file is still as long as the array needs, so a read cannot fault on a truncated mapping.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has been truncated since it was opened.</exception>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    public void EnsureFileIntact()
    {
        long needed = DataStart + Header.DataLength;
        long now = _file.CurrentFileLength();
        if (now < needed)
            throw new InvalidDataException(Messages.Format(Messages.FileChanged, Path, now, needed));
    }

    /// <summary>Tells the kernel how rows will be read (Linux <c>madvise</c>; nothing elsewhere).</summary>
    /// <param name="pattern">The expected access pattern.</param>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    public void Advise(NpyAccessPattern pattern)
    {
        int advice = pattern switch
        {
            NpyAccessPattern.Sequential => LibC.MadvSequential,
            NpyAccessPattern.Random => LibC.MadvRandom,
            _ => LibC.MadvNormal,
        };
        _file.Advise(DataStart, Header.DataLength, advice);
    }

    /// <summary>Asks the kernel to start reading the pages of these rows now, so a later read does not wait on the disk.</summary>
    /// <param name="indices">Row indices; out-of-range ones are ignored (this is only a hint).</param>
    /// <remarks>The rows are hinted in file order, and rows less than 64 KiB apart are hinted as one range, so the disk gets
    /// fewer, larger reads (the kernel starts them all at once and returns without waiting).</remarks>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    public void WillNeed(ReadOnlySpan<long> indices)
    {
        ObjectDisposedException.ThrowIf(_file.IsDisposed, this);
        if (Rank == 0 || RowBytes == 0 || IsFortranOrder || indices.IsEmpty)
            return;
        long length = Length;
        long[] rows = ArrayPool<long>.Shared.Rent(indices.Length);
        try
        {
            int n = 0;
            foreach (long index in indices)
            {
                if ((ulong)index < (ulong)length)
                    rows[n++] = index;
            }
            Span<long> sorted = rows.AsSpan(0, n);
            sorted.Sort();
            long gapRows = Math.Max(1, WillNeedCoalesceBytes / RowBytes);
            int i = 0;
            while (i < n)
            {
                long first = sorted[i], last = first;
                int j = i + 1;
                while (j < n && sorted[j] - last <= gapRows)
                    last = sorted[j++];
                _file.Advise(DataStart + first * RowBytes, (last - first + 1) * RowBytes, LibC.MadvWillNeed);
                i = j;
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(rows);
        }
    }

    /// <summary>Writes changes of a <see cref="NpyMode.ReadWrite"/> mapping to the file; does nothing in other modes.</summary>
    /// <exception cref="ObjectDisposedException">The array has been disposed.</exception>
    public void Flush() => _file.Flush();

    /// <summary>Unmaps the file once no read is using it. Calling it again does nothing.</summary>
    /// <remarks>Tensors returned earlier are copies and stay valid.</remarks>
    public void Dispose() => _file.Dispose();

    /// <summary>Returns the path, dtype and shape, e.g. <c>x.npy: &lt;f4 (100, 3)</c>.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"{Path}: {Header.Descr} {Header.FormatShape()}";

    private static FileStream OpenStream(string path, NpyMode mode) =>
        InputFile.Open(path, mode == NpyMode.ReadWrite ? FileAccess.ReadWrite : FileAccess.Read);
}
