using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// A whole file mapped into memory, with a reference count so that the mapping outlives every reader that is
/// using it: <see cref="Dispose"/> only drops the owner's reference, and the view is unmapped when the last
/// <see cref="Lease"/> ends. Readers that arrive after dispose get <see cref="ObjectDisposedException"/>; none
/// can ever touch unmapped memory.
/// </summary>
/// <remarks>
/// Touching a mapped page that the file no longer backs (another process truncated it) raises SIGBUS, which no .NET code
/// can catch. So a copy through <see cref="AcquireForAccess"/> is a plain load only while a <see cref="FileLease"/> holds
/// truncation back; otherwise the kernel makes the copy (<see cref="MappingCopy"/>) and reports a vanished page as an
/// <see cref="InvalidDataException"/> naming the file.
/// </remarks>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly FileStream _file;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly FileLease? _lease;
    private readonly Lazy<DirectReader?> _direct;
    private int _refs = 1;      // the owner's reference plus one per lease
    private int _disposed;

    private MappedFile(string path, FileStream file, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, long length, NpyMode mode, long requiredLength, FileLease? lease)
    {
        _lease = lease;
        Path = path;
        RequiredLength = requiredLength;
        _file = file;
        _map = map;
        _view = view;
        _base = pointer;
        Length = length;
        Mode = mode;
        _direct = new(() => DirectReader.TryOpen(this, _file.SafeFileHandle), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Path { get; }

    /// <summary>The length of the file when it was mapped.</summary>
    public long Length { get; }

    public NpyMode Mode { get; }

    /// <summary>How long the file must stay for every byte a read may touch to be backed by the file.</summary>
    public long RequiredLength { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>True while a file lease lets copies be plain loads (false: every copy goes through the kernel).</summary>
    public bool HasLease => _lease?.IsHeld ?? false;

    /// <summary>Opens <paramref name="file"/> (which this takes ownership of) and maps all of it.</summary>
    /// <param name="path">The path, for messages.</param>
    /// <param name="file">The open file.</param>
    /// <param name="mode">The mapping mode.</param>
    /// <param name="requiredLength">The file length reads need (the end of the array's data); checked by <see cref="AcquireForAccess"/>.</param>
    /// <exception cref="IOException">The file cannot be mapped (the message names it and the size).</exception>
    public static MappedFile Map(string path, FileStream file, NpyMode mode, long requiredLength)
    {
        MemoryMappedFileAccess access = mode switch
        {
            NpyMode.ReadWrite => MemoryMappedFileAccess.ReadWrite,
            NpyMode.CopyOnWrite => MemoryMappedFileAccess.CopyOnWrite,
            _ => MemoryMappedFileAccess.Read,
        };
        long length = file.Length;
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(file, mapName: null, capacity: 0, access, HandleInheritability.None, leaveOpen: true);
            view = map.CreateViewAccessor(0, 0, access);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            // The view starts at file offset 0, so there is no page-alignment offset to skip.
            Debug.Assert(view.PointerOffset == 0);
            return new MappedFile(path, file, map, view, pointer, length, mode, requiredLength, TakeLease(file, requiredLength));
        }
        catch (Exception ex)
        {
            view?.Dispose();
            map?.Dispose();
            file.Dispose();
            // The runtime maps an open FileStream, so its message for a failed mmap ("Cannot allocate memory" under
            // ulimit -v, say) never names the file.
            if (ex is IOException or UnauthorizedAccessException)
                throw new IOException(Messages.Format(Messages.MapFailed, path, length, ex.Message), ex);
            throw;
        }
    }

    // A file lease, taken only when the file, checked after the lease exists, still holds everything reads may touch:
    // from then on nothing can shorten it without the lease being broken first.
    private static FileLease? TakeLease(FileStream file, long requiredLength)
    {
        FileLease? lease = FileLease.TryTake(file.SafeFileHandle, file.CanWrite);
        if (lease is not null && RandomAccess.GetLength(file.SafeFileHandle) < requiredLength)
        {
            lease.Break();
            lease.Close();
            return null;
        }
        return lease;
    }

    /// <summary>Takes a reference that keeps the mapping alive until the lease is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public Lease Acquire()
    {
        AddRef();
        return new Lease(this, plain: false);
    }

    /// <summary>
    /// Takes a lease for copying data in or out. While the file lease holds, the copies may be plain loads and stores
    /// (<see cref="Lease.IsPlain"/>); otherwise the file is first checked (one fstat) to still hold every byte of the data,
    /// and copies must go through <see cref="Lease.Read"/>/<see cref="Lease.Write"/> or a <see cref="MappingCopy"/>, which
    /// turn a page lost to a later truncation into an exception.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file is now shorter than <see cref="RequiredLength"/>.</exception>
    public Lease AcquireForAccess()
    {
        AddRef();
        if (_lease is not null && _lease.TryBeginPlainCopy())
            return new Lease(this, plain: true);
        var lease = new Lease(this, plain: false);
        long now = RandomAccess.GetLength(_file.SafeFileHandle);
        if (now < RequiredLength)
        {
            lease.Dispose();
            throw new InvalidDataException(Messages.Format(Messages.FileChanged, Path, now, RequiredLength));
        }
        return lease;
    }

    /// <summary>The exception for a kernel copy that failed with <paramref name="errno"/>.</summary>
    public Exception CopyFailed(int errno)
    {
        long now = RandomAccess.GetLength(_file.SafeFileHandle);
        if (errno == LibC.EFault || now < RequiredLength)
            return new InvalidDataException(Messages.Format(Messages.FileChangedDuringCopy, Path, now, RequiredLength));
        return new IOException(Messages.Format(Messages.CopyFailed, Path, Marshal.GetPInvokeErrorMessage(errno), errno));
    }

    /// <summary>The O_DIRECT reader of this file, opened on first use, or null where direct reads are not available. Use it
    /// only under a lease: it is disposed with the mapping.</summary>
    public DirectReader? Direct => _direct.Value;

    public nint PRead(byte* buffer, nuint count, long offset) => LibC.PRead(_file.SafeFileHandle, buffer, count, offset);

    public nint PWrite(byte* buffer, nuint count, long offset) => LibC.PWrite(_file.SafeFileHandle, buffer, count, offset);

    private void AddRef()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _refs);
            if (refs == 0 || IsDisposed)
                throw new ObjectDisposedException(nameof(NpyArray), Messages.Format(Messages.ArrayDisposed, Path));
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs)
                return;
        }
    }

    /// <summary>The current length of the file on disk (one fstat).</summary>
    public long CurrentFileLength()
    {
        using Lease lease = Acquire();
        return RandomAccess.GetLength(_file.SafeFileHandle);
    }

    /// <summary>Writes dirty pages of a read-write mapping back to the file.</summary>
    public void Flush()
    {
        using Lease lease = Acquire();
        if (Mode == NpyMode.ReadWrite)
        {
            _view.Flush();
            _file.Flush(flushToDisk: false);
        }
    }

    /// <summary>Drops the owner's reference; the mapping goes when no lease holds it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Release();
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0)
            return;
        if (Mode == NpyMode.ReadWrite)
            _view.Flush();
        _lease?.Close();
        if (_direct.IsValueCreated)
            _direct.Value?.Dispose();
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        _file.Dispose();
    }

    /// <summary>A reference to a live mapping; <see cref="Pointer"/> is valid until it is disposed.</summary>
    internal readonly struct Lease : IDisposable
    {
        private readonly MappedFile _owner;
        private readonly bool _plain;

        public Lease(MappedFile owner, bool plain)
        {
            _owner = owner;
            _plain = plain;
        }

        /// <summary>The address of file offset 0. Copies out of it must be plain only while <see cref="IsPlain"/>; otherwise go
        /// through <see cref="Read(long, byte*, long)"/>, the value readers or <see cref="Batch"/>, which never fault.</summary>
        public byte* Pointer => _owner._base;

        /// <summary>The mapped file.</summary>
        public MappedFile File => _owner;

        /// <summary>True when copies may be plain loads and stores: the file lease holds truncation back until this ends.</summary>
        public bool IsPlain => _plain;

        /// <summary>Copies <paramref name="bytes"/> bytes at file offset <paramref name="offset"/> to <paramref name="destination"/>.</summary>
        /// <exception cref="InvalidDataException">The file no longer backs the bytes.</exception>
        public void Read(long offset, byte* destination, long bytes)
        {
            if (_plain)
                Buffer.MemoryCopy(_owner._base + offset, destination, bytes, bytes);
            else
                MappingCopy.Run(_owner, _owner._base, write: false, offset, destination, bytes);
        }

        /// <summary>Reads the little-endian int32 at file offset <paramref name="offset"/>, as <see cref="Read(long, byte*, long)"/> copies.</summary>
        /// <exception cref="InvalidDataException">The file no longer backs the bytes.</exception>
        public int ReadInt32LittleEndian(long offset)
        {
            int value = ReadValue<int>(offset);
            return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        }

        /// <summary>Reads the little-endian int64 at file offset <paramref name="offset"/>, as <see cref="Read(long, byte*, long)"/> copies.</summary>
        /// <exception cref="InvalidDataException">The file no longer backs the bytes.</exception>
        public long ReadInt64LittleEndian(long offset)
        {
            long value = ReadValue<long>(offset);
            return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        }

        /// <summary>Reads the byte at file offset <paramref name="offset"/>, as <see cref="Read(long, byte*, long)"/> copies.</summary>
        /// <exception cref="InvalidDataException">The file no longer backs the byte.</exception>
        public byte ReadByte(long offset) => ReadValue<byte>(offset);

        // One value: a plain load under the file lease, otherwise the kernel's copy (no fault on a vanished page).
        private T ReadValue<T>(long offset) where T : unmanaged
        {
            if (_plain)
                return Unsafe.ReadUnaligned<T>(_owner._base + offset);
            T value;
            MappingCopy.Run(_owner, _owner._base, write: false, offset, (byte*)&value, sizeof(T));
            return value;
        }

        /// <summary>Copies <paramref name="bytes"/> bytes from <paramref name="source"/> to file offset <paramref name="offset"/>.</summary>
        /// <exception cref="InvalidDataException">The file no longer backs the bytes.</exception>
        public void Write(long offset, byte* source, long bytes)
        {
            if (_plain)
                Buffer.MemoryCopy(source, _owner._base + offset, bytes, bytes);
            else
                MappingCopy.Run(_owner, _owner._base, write: true, offset, source, bytes);
        }

        /// <summary>A batch of kernel copies out of (or into) this mapping.</summary>
        public MappingCopy Batch(bool write) => new(_owner, _owner._base, write);

        public void Dispose()
        {
            if (_owner is null)
                return;
            if (_plain)
                _owner._lease!.EndPlainCopy();
            _owner.Release();
        }
    }

    /// <summary>Passes a paging hint for a byte range of the file.</summary>
    public void Advise(long offset, long length, int advice)
    {
        using Lease lease = Acquire();
        long end = Math.Min(Length, offset + length);
        if (offset < end)
            LibC.Advise(_base + offset, end - offset, advice);
    }
}
