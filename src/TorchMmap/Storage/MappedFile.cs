using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// A whole file mapped into memory, with a reference count so that the mapping outlives every reader that is
/// using it: <see cref="Dispose"/> only drops the owner's reference, and the view is unmapped when the last
/// <see cref="Lease"/> ends. Readers that arrive after dispose get <see cref="ObjectDisposedException"/>; none
/// can ever touch unmapped memory.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly FileStream _file;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private int _refs = 1;      // the owner's reference plus one per lease
    private int _disposed;

    private MappedFile(string path, FileStream file, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer, long length, NpyMode mode, long requiredLength)
    {
        Path = path;
        RequiredLength = requiredLength;
        _file = file;
        _map = map;
        _view = view;
        _base = pointer;
        Length = length;
        Mode = mode;
    }

    public string Path { get; }

    /// <summary>The length of the file when it was mapped.</summary>
    public long Length { get; }

    public NpyMode Mode { get; }

    /// <summary>How long the file must stay for every byte a read may touch to be backed by the file.</summary>
    public long RequiredLength { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Opens <paramref name="file"/> (which this takes ownership of) and maps all of it.</summary>
    /// <param name="path">The path, for messages.</param>
    /// <param name="file">The open file.</param>
    /// <param name="mode">The mapping mode.</param>
    /// <param name="requiredLength">The file length reads need (the end of the array's data); checked by <see cref="AcquireForAccess"/>.</param>
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
            return new MappedFile(path, file, map, view, pointer, length, mode, requiredLength);
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Takes a reference that keeps the mapping alive until the lease is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    public Lease Acquire()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _refs);
            if (refs == 0 || IsDisposed)
                throw new ObjectDisposedException(nameof(NpyArray), $"The array mapped from '{Path}' has been disposed.");
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs)
                return new Lease(this);
        }
    }

    /// <summary>
    /// Takes a lease for reading or writing the data, after checking (one fstat) that the file still holds every byte of
    /// it. Touching a mapped page past the end of a file that was truncated raises SIGBUS and kills the process, so this
    /// turns a truncation that happened before the access into an exception.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The file has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file is now shorter than <see cref="RequiredLength"/>.</exception>
    public Lease AcquireForAccess()
    {
        Lease lease = Acquire();
        long now = RandomAccess.GetLength(_file.SafeFileHandle);
        if (now < RequiredLength)
        {
            lease.Dispose();
            throw new InvalidDataException(Messages.Format(Messages.FileChanged, Path, now, RequiredLength));
        }
        return lease;
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
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        _file.Dispose();
    }

    /// <summary>A reference to a live mapping; <see cref="Pointer"/> is valid until it is disposed.</summary>
    internal readonly struct Lease : IDisposable
    {
        private readonly MappedFile _owner;

        public Lease(MappedFile owner) => _owner = owner;

        /// <summary>The address of file offset 0.</summary>
        public byte* Pointer => _owner._base;

        public void Dispose() => _owner?.Release();
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
