using System.Buffers.Binary;
using System.Text;

namespace TorchMmap.Tests;

/// <summary>
/// Builds .npy bytes by hand, straight from the format specification (magic, version, little-endian header length,
/// header text padded with spaces and ended by a newline), so tests can make files no writer would.
/// </summary>
internal static class NpyBytes
{
    /// <summary>The magic string: <c>\x93NUMPY</c>.</summary>
    public static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// A file of version <paramref name="major"/>.0 whose header text is <paramref name="dict"/> padded so the data
    /// starts on a multiple of <paramref name="alignment"/> (0: no padding, just the newline), followed by <paramref name="data"/>.
    /// </summary>
    public static byte[] File(string dict, byte[]? data = null, int major = 1, int alignment = 64)
    {
        Encoding encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        byte[] text = encoding.GetBytes(dict);
        int preamble = major == 1 ? 10 : 12;
        int length = text.Length + 1;
        if (alignment > 0)
            length += (alignment - ((preamble + length) % alignment)) % alignment;
        byte[] header = new byte[length];
        header.AsSpan().Fill((byte)' ');
        text.CopyTo(header, 0);
        header[^1] = (byte)'\n';
        return Concat(Preamble(major, 0, length), header, data ?? []);
    }

    /// <summary>The preamble: magic, version bytes and a header length field of the size the version uses.</summary>
    public static byte[] Preamble(int major, int minor, long headerLength)
    {
        byte[] bytes = new byte[major == 1 ? 10 : 12];
        Magic.CopyTo(bytes, 0);
        bytes[6] = (byte)major;
        bytes[7] = (byte)minor;
        if (major == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)headerLength);
        return bytes;
    }

    /// <summary>The dict text NumPy writes for a descr, order and shape tuple text such as <c>(3, 2)</c>.</summary>
    public static string Dict(string descr, string shape, bool fortran = false) =>
        $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";

    /// <summary>Joins byte arrays.</summary>
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
