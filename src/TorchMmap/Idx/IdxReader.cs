using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Idx;

/// <summary>
/// Reads the rows of an IDX file (plain, or gzip-compressed as MNIST and Fashion-MNIST are distributed) front to back,
/// in native byte order, a chunk at a time, so files of any size are read in bounded memory.
/// </summary>
/// <remarks>
/// A row is one slice along the first dimension (one image of an image file, one label of a label file). The reader
/// checks that the data is exactly as long as the header says: a short file, or bytes left after the last row, is an
/// <see cref="InvalidDataException"/> naming the file. Not thread safe.
/// </remarks>
public sealed class IdxReader : IDisposable
{
    private readonly Stream _stream;
    private long _dataRead;
    private bool _disposed;

    private IdxReader(string path, Stream stream, IdxHeader header, bool compressed, long? fileLength)
    {
        Path = path;
        _stream = stream;
        Header = header;
        IsCompressed = compressed;
        RowCount = header.Shape[0];
        RowBytes = ComputeRowBytes(header);
        if (fileLength is long length && length != header.Length + header.DataLength)
            throw new InvalidDataException(length < header.Length + header.DataLength
                ? Messages.Format(Messages.IdxFileTooShort, path, length, FormatShape(header.Shape), header.ElementType, header.Length + header.DataLength)
                : Messages.Format(Messages.IdxTrailing, path, length - header.Length - header.DataLength, FormatShape(header.Shape), header.ElementType, header.Length + header.DataLength));
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The header.</summary>
    public IdxHeader Header { get; }

    /// <summary>True when the file is gzip-compressed.</summary>
    public bool IsCompressed { get; }

    /// <summary>The number of rows (the first dimension).</summary>
    public long RowCount { get; }

    /// <summary>Bytes per row.</summary>
    public long RowBytes { get; }

    /// <summary>Rows read so far.</summary>
    public long RowsRead => RowBytes == 0 ? 0 : _dataRead / RowBytes;

    /// <summary>Opens an IDX file, plain or gzip-compressed (detected from its first bytes), and reads its header.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The reader, positioned at the first row; dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX file, or its length does not match its header.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IdxReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream file = InputFile.Open(path, FileAccess.Read, 1 << 16, FileShare.Read);
        Stream stream = file;
        try
        {
            Span<byte> start = stackalloc byte[2];
            int got = file.ReadAtLeast(start, 2, throwOnEndOfStream: false);
            file.Position = 0;
            // Every gzip member starts with 1F 8B (RFC 1952); an IDX file starts with 00 00.
            bool compressed = got == 2 && start[0] == 0x1F && start[1] == 0x8B;
            if (compressed)
                stream = new InflatingReadStream(new GZipStream(file, CompressionMode.Decompress, leaveOpen: false), $"'{path}'");
            IdxHeader header = IdxHeader.Read(stream, path);
            return new IdxReader(path, stream, header, compressed, compressed ? null : file.Length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the next whole rows into <paramref name="destination"/>, in native byte order.</summary>
    /// <param name="destination">Room for one or more rows; as many whole rows as fit (and remain) are read.</param>
    /// <returns>The number of rows read; 0 at the end.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is smaller than one row while rows remain.</exception>
    /// <exception cref="InvalidDataException">The file ends before the header's rows, has bytes after them, or its compressed data is corrupt.</exception>
    /// <exception cref="ObjectDisposedException">The reader is disposed.</exception>
    public int ReadRows(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long remaining = RowCount - RowsRead;
        if (remaining == 0 || RowBytes == 0)
        {
            // Rows of no bytes carry no data either: the stream must end here too.
            EnsureEnd();
            return 0;
        }
        if (destination.Length < RowBytes)
            throw new ArgumentException(Messages.Format(Messages.IdxBufferTooSmall, destination.Length, Path, RowBytes), nameof(destination));
        int rows = (int)Math.Min(remaining, destination.Length / RowBytes);
        Span<byte> target = destination[..checked((int)(rows * RowBytes))];
        int got = _stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
        if (got < target.Length)
            ThrowHelper.InvalidData(Messages.IdxDataTruncated, Path, _dataRead + got, Header.Length + _dataRead + got, IsCompressed ? "decompressed " : "", (_dataRead + got) / RowBytes, RowCount, Header.DataLength);
        _dataRead += got;
        ToNativeOrder(target, Header.ItemSize);
        if (RowsRead == RowCount)
            EnsureEnd();
        return rows;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _stream.Dispose();
    }

    // The header's shape passed the size rule, so its row's does too.
    private static long ComputeRowBytes(IdxHeader header)
    {
        NpyShape.TryGetSize(header.Shape.Skip(1).ToArray(), header.ItemSize, out _, out long rowBytes);
        return rowBytes;
    }

    private void EnsureEnd()
    {
        // Only a compressed stream needs this check; a plain file's length was checked on open.
        if (!IsCompressed)
            return;
        Span<byte> probe = stackalloc byte[1];
        if (_stream.Read(probe) != 0)
            ThrowHelper.InvalidData(Messages.IdxTrailingCompressed, Path, Header.DataLength, FormatShape(Header.Shape), Header.ElementType);
    }

    private static void ToNativeOrder(Span<byte> data, int itemSize)
    {
        // IDX stores multi-byte elements big-endian.
        if (!BitConverter.IsLittleEndian || itemSize == 1)
            return;
        switch (itemSize)
        {
            case 2:
                Span<short> s = MemoryMarshal.Cast<byte, short>(data);
                BinaryPrimitives.ReverseEndianness(s, s);
                break;
            case 4:
                Span<int> i = MemoryMarshal.Cast<byte, int>(data);
                BinaryPrimitives.ReverseEndianness(i, i);
                break;
            default:
                Span<long> l = MemoryMarshal.Cast<byte, long>(data);
                BinaryPrimitives.ReverseEndianness(l, l);
                break;
        }
    }

    private static string FormatShape(IReadOnlyList<long> shape) => "(" + string.Join(", ", shape) + ")";
}
