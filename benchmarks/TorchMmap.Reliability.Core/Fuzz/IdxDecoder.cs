using System.Buffers.Binary;
using TorchMmap.Idx;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// The fuzzer's own IDX decoder, written from the format description without the library: decides whether uncompressed
/// IDX bytes are a well-formed file and, if so, what .npy the converter must write for them.
/// </summary>
public static class IdxDecoder
{
    /// <summary>Decodes <paramref name="content"/> as the converter must, with <paramref name="options"/>.</summary>
    /// <param name="content">The uncompressed IDX bytes.</param>
    /// <param name="options">The conversion options.</param>
    /// <returns>The expected .npy, or null when the bytes are not a well-formed IDX file.</returns>
    public static IdxDecoded? Decode(ReadOnlySpan<byte> content, IdxConversionOptions options)
    {
        if (content.Length < 4 || content[0] != 0 || content[1] != 0 || content[3] == 0)
            return null;
        (string descr, char kind, int size) = content[2] switch
        {
            0x08 => ("|u1", 'u', 1),
            0x09 => ("|i1", 'i', 1),
            0x0B => ("<i2", 'i', 2),
            0x0C => ("<i4", 'i', 4),
            0x0D => ("<f4", 'f', 4),
            0x0E => ("<f8", 'f', 8),
            _ => ("", ' ', 0),
        };
        int rank = content[3];
        if (size == 0 || content.Length < 4 + 4 * rank)
            return null;
        var dims = new List<long>();
        // Big integers: no product of 255 dimensions below 2^31 can overflow them.
        System.Numerics.BigInteger count = 1, nonZeroBytes = size;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(content.Slice(4 + 4 * i, 4));
            if (d < 0)
                return null;
            dims.Add(d);
            count *= d;
            nonZeroBytes *= Math.Max(d, 1);
        }
        // As NumPy, a shape whose non-zero dimensions alone overflow a 64-bit byte count is malformed even when empty.
        if (nonZeroBytes > long.MaxValue || count * size != content.Length - (4 + 4 * rank))
            return null;
        ReadOnlySpan<byte> data = content[(4 + 4 * rank)..];
        bool widen = options.WidenLabelsToInt64 && rank == 1 && kind != 'f';
        int outSize = widen ? 8 : size;
        byte[] result = new byte[(int)count * outSize];
        for (int e = 0; e < (int)count; e++)
        {
            ReadOnlySpan<byte> src = data.Slice(e * size, size);
            Span<byte> dst = result.AsSpan(e * outSize, outSize);
            if (widen)
            {
                long v = size switch
                {
                    1 => kind == 'u' ? src[0] : (sbyte)src[0],
                    2 => BinaryPrimitives.ReadInt16BigEndian(src),
                    _ => BinaryPrimitives.ReadInt32BigEndian(src),
                };
                BinaryPrimitives.WriteInt64LittleEndian(dst, v);
            }
            else
            {
                for (int b = 0; b < size; b++)
                    dst[b] = src[size - 1 - b];
            }
        }
        if (options.InsertChannelAxis && rank >= 3)
            dims.Insert(1, 1);
        return new IdxDecoded(widen ? "<i8" : descr, [.. dims], result);
    }
}
