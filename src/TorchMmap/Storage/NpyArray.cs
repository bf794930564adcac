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
        // A row is part of a validated shape, so its size cannot overflow.
        NpyShape.TryGetSize(_rowShape, header.DType.ItemSize, out long rowElements, out long rowBytes);
        RowElements = rowElements;
        RowBytes = rowBytes;
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
    public long Length => Rank == 0 ? throw new InvalidOperationException(Messages.Format(Messages.ZeroDimensionalNoRows, Path)) : Header.ShapeArray[0];

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
            throw new ArgumentOutOfRangeException(nameof(mode), mode, Messages.MappingModeUnknown);
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
    /// <remarks>
    /// The file is built beside the path, its whole size reserved on the disk (so a full disk is an
    /// <see cref="IOException"/> here, never a fault on a later write through the mapping), then renamed into place: an
    /// existing file is never truncated under a mapping another reader holds, which keeps reading the old data. As
    /// <c>np.save</c>, a symbolic link is replaced at its target and a replaced file keeps its mode and owner.
    /// </remarks>
    /// <param name="path">The file to create.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="fortranOrder">True to lay the data out in Fortran order.</param>
    /// <param name="reserveSpace">True (the default) to reserve the file's blocks now. False makes a sparse file, as
    /// <c>open_memmap</c> does: quicker for a huge array that is mostly never written, but a full disk then surfaces
    /// only on a later write through the mapping, which the operating system reports as a fault, not an exception.</param>
    /// <returns>The mapped array in <see cref="NpyMode.ReadWrite"/> mode.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or the size overflows.</exception>
    /// <exception cref="IOException">The file cannot be created, the disk has no room for it, or <paramref name="path"/> is not a regular file.</exception>
    public static NpyArray Create(string path, NpyDType dtype, ReadOnlySpan<long> shape, bool fortranOrder = false, bool reserveSpace = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        NpyHeader header = NpyHeader.Create(dtype, shape, fortranOrder);
        return CreateCore(path, header, header.DataOffset, isRaw: false, reserveSpace);
    }

    // The one way a new mapped file is made (.npy and raw alike), through the writers' one replacement helper: the file is
    // built beside the path with its whole size reserved (a full disk is an IOException here, never a fault on a later
    // write through the mapping), the .npy header written (a raw file's bytes before dataStart stay zero, as np.memmap's),
    // then renamed into place, so an existing file is never truncated under another reader's mapping.
    private static NpyArray CreateCore(string path, NpyHeader header, long dataStart, bool isRaw, bool reserveSpace = true)
    {
        long length = dataStart + header.DataLength;
        using var file = FileReplacement.Begin(path, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 4096, regularOnly: true);
        if (reserveSpace)
            file.Reserve(length);
        else
            file.Stream.SetLength(length);
        if (!isRaw)
        {
            file.Stream.Position = 0;
            file.Stream.Write(header.ToArray());
        }
        file.Commit();
        return new NpyArray(MappedFile.Map(path, file.DetachStream(), NpyMode.ReadWrite, length), dataStart, header, path, isRaw);
    }

    /// <summary>Maps a stored (uncompressed) entry of an .npz archive in place, without extracting it.</summary>
    /// <param name="path">The .npz file.</param>
    /// <param name="name">The array's name, found as <c>np.load(path)[name]</c> finds it (see <see cref="NpzArchive.Find"/>);
    /// empty for the entry <c>.npy</c> that <c>np.savez</c> writes for the key <c>''</c>.</param>
    /// <param name="mode"><see cref="NpyMode.ReadOnly"/> or <see cref="NpyMode.CopyOnWrite"/>. Writing into the archive is refused:
    /// it would leave the entry's CRC-32 stale, and zip readers (NumPy's included) would then reject the archive.</param>
    /// <returns>The mapped array.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty, or <paramref name="mode"/> is <see cref="NpyMode.ReadWrite"/>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not a defined value.</exception>
    /// <exception cref="KeyNotFoundException">The archive has no such array.</exception>
    /// <exception cref="InvalidDataException">The archive or the entry is malformed.</exception>
    /// <exception cref="NotSupportedException">The entry is compressed, or its dtype cannot be loaded.</exception>
    public static NpyArray OpenNpzEntry(string path, string name, NpyMode mode = NpyMode.ReadOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(name);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, Messages.MappingModeUnknown);
        if (mode == NpyMode.ReadWrite)
            throw new ArgumentException(Messages.Format(Messages.NpzReadWrite, path, name), nameof(mode));
        FileStream stream = OpenStream(path, mode);
        try
        {
            return OpenNpzEntry(stream, NpzArchive.ReadDirectory(stream, path).Find(name), mode);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Maps an entry of an archive whose directory was read already (so opening many entries reads it once).</summary>
    internal static NpyArray OpenNpzEntry(NpzEntry entry, NpyMode mode)
    {
        FileStream stream = OpenStream(entry.ArchivePath, mode);
        try
        {
            // The archive may have changed since its directory was read: the entry must still lie within it.
            if (entry.DataOffset + entry.Size > stream.Length)
                throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, entry.ArchivePath, entry.EntryName, $"its {entry.Size} bytes at offset {entry.DataOffset} run past the end of the file ({stream.Length} bytes)"));
            return OpenNpzEntry(stream, entry, mode);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    // Takes ownership of the stream on success.
    private static NpyArray OpenNpzEntry(FileStream stream, NpzEntry entry, NpyMode mode)
    {
        entry.ThrowIfNotMappable();
        stream.Position = entry.DataOffset;
        string display = $"{entry.ArchivePath}[{entry.ArrayName}]";
        NpyHeader header = NpyHeader.Read(new SubReadStream(stream, entry.DataOffset, entry.Size), display);
        return new NpyArray(MappedFile.Map(entry.ArchivePath, stream, mode, entry.DataOffset + header.DataOffset + header.DataLength), entry.DataOffset + header.DataOffset, header, display);
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
        // Rows the direct path will read need no pages: caching them would only evict others.
        if (Rank == 0 || RowBytes == 0 || IsFortranOrder || indices.IsEmpty || ShouldReadDirect(indices))
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
    public void Dispose()
    {
        _file.Dispose();
        ReleaseEdges();
    }

    /// <summary>Returns the path, dtype and shape, e.g. <c>x.npy: &lt;f4 (100, 3)</c>.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"{Path}: {Header.Descr} {Header.FormatShape()}";

    private static FileStream OpenStream(string path, NpyMode mode) =>
        InputFile.Open(path, mode == NpyMode.ReadWrite ? FileAccess.ReadWrite : FileAccess.Read);
}
