using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>Builds .npy files byte by byte from the format specification, without the library's writer.</summary>
public static class NpyBytes
{
    private static readonly byte[] s_magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The header dict NumPy writes for a descr, order and shape.</summary>
    /// <param name="descr">The descr string.</param>
    /// <param name="fortran">The fortran_order flag.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The dict text, without padding.</returns>
    public static string Dict(string descr, bool fortran, IReadOnlyList<long> shape)
    {
        string dims = shape.Count == 1 ? $"{shape[0]}," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        return $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': ({dims}), }}";
    }

    /// <summary>Lays out a whole file: magic, version, header length, the header text padded with spaces and ended by a newline
    /// so the data starts on a 64-byte boundary, then <paramref name="data"/>.</summary>
    /// <param name="headerText">The header dict text (any text: it is not checked).</param>
    /// <param name="major">The format version, 1, 2 or 3 (3 encodes the text as UTF-8, the others as Latin-1).</param>
    /// <param name="data">The data bytes.</param>
    /// <returns>The file's bytes.</returns>
    public static byte[] File(string headerText, int major, ReadOnlySpan<byte> data)
    {
        Encoding encoding = major >= 3 ? Encoding.UTF8 : Encoding.Latin1;
        byte[] text = encoding.GetBytes(headerText);
        int preamble = major == 1 ? 10 : 12;
        int unpadded = preamble + text.Length + 1;
        int padding = (64 - unpadded % 64) % 64;
        int headerLength = text.Length + padding + 1;
        byte[] file = new byte[preamble + headerLength + data.Length];
        s_magic.CopyTo(file, 0);
        file[6] = (byte)major;
        file[7] = 0;
        if (major == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), checked((ushort)headerLength));
        else
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), (uint)headerLength);
        text.CopyTo(file, preamble);
        file.AsSpan(preamble + text.Length, padding).Fill((byte)' ');
        file[preamble + headerLength - 1] = (byte)'\n';
        data.CopyTo(file.AsSpan(preamble + headerLength));
        return file;
    }

    /// <summary>The offset of the first data byte that the preamble of <paramref name="file"/> declares, read independently of the library.</summary>
    /// <param name="file">The file's bytes (at least its preamble).</param>
    /// <returns>The offset, or -1 when the preamble is too short or of an unknown version.</returns>
    public static long DeclaredDataOffset(ReadOnlySpan<byte> file)
    {
        if (file.Length < 10)
            return -1;
        if (file[6] == 1)
            return 10L + BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
        return file.Length < 12 ? -1 : 12L + BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
    }
}
