namespace TorchMmap.Format;

/// <summary>
/// A forward-only read stream over another that computes the zip CRC-32 (IEEE 802.3, reflected, polynomial
/// 0xEDB88320) and counts the bytes that pass through, so a deflated .npz entry can be checked as zip readers do.
/// </summary>
internal sealed class Crc32ReadStream : Stream
{
    private static readonly uint[] s_table = BuildTable();

    private readonly Stream _inner;
    private uint _crc = uint.MaxValue;

    /// <summary>Wraps <paramref name="inner"/>, which this does not dispose.</summary>
    public Crc32ReadStream(Stream inner) => _inner = inner;

    /// <summary>The CRC-32 of the bytes read so far.</summary>
    public uint Crc => ~_crc;

    /// <summary>The number of bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        uint crc = _crc;
        foreach (byte b in buffer[..n])
            crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        _crc = crc;
        BytesRead += n;
        return n;
    }

    /// <summary>Reads and checksums whatever is left, up to <paramref name="limit"/> bytes in all; returns the total read.</summary>
    public long Drain(long limit)
    {
        Span<byte> scratch = stackalloc byte[4096];
        while (BytesRead <= limit)
        {
            if (Read(scratch) == 0)
                break;
        }
        return BytesRead;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private static uint[] BuildTable()
    {
        uint[] table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
