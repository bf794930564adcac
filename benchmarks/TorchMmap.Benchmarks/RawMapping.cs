using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace TorchMmap.Benchmarks;

/// <summary>A read-only mapping of a C-order .npy file, independent of the library: the memcpy limit's source.</summary>
internal sealed unsafe class RawMapping : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;

    public RawMapping(string path, long rowBytes)
    {
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p;
        // Preamble: 6-byte magic, major and minor version, then a 2-byte (v1) or 4-byte (v2, v3) header length.
        int major = p[6];
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(p + 8, 2)) : BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(p + 8, 4));
        Data = p + (major == 1 ? 10 : 12) + headerLength;
        RowBytes = rowBytes;
    }

    public byte* Data { get; }

    public long RowBytes { get; }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
