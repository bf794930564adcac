using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// A forward-only read stream over another that computes the zip CRC-32 (IEEE 802.3, reflected, polynomial
/// 0xEDB88320) and counts the bytes that pass through, so a deflated .npz entry can be checked as zip readers do.
/// </summary>
internal sealed class Crc32ReadStream : ForwardReadStream
{
    private static readonly uint[] s_table = BuildTable();

    private readonly Stream _inner;
    private uint _crc = uint.MaxValue;

    /// <summary>Wraps <paramref name="inner"/>, which this does not dispose.</summary>
    public Crc32ReadStream(Stream inner) => _inner = inner;

    /// <summary>The CRC-32 of the bytes read so far.</summary>
    public uint Crc => ~_crc;

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
