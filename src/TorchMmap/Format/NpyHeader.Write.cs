using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchMmap.Internal;

namespace TorchMmap.Format;

public sealed partial class NpyHeader
{
    /// <summary>Creates the header NumPy would write for an array of <paramref name="dtype"/> and <paramref name="shape"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape; empty for a 0-d array.</param>
    /// <param name="fortranOrder">True when the data will be written in Fortran order.</param>
    /// <returns>A header whose <see cref="ToArray"/> bytes match <c>np.save</c>'s: version 1.0 unless the header needs 2.0, 64-byte alignment.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or the array's byte size overflows 64 bits.</exception>
    public static NpyHeader Create(NpyDType dtype, ReadOnlySpan<long> shape, bool fortranOrder = false)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        foreach (long d in shape)
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
        if (!NpyShape.TryGetSize(shape, dtype.ItemSize, out _, out _))
            throw new ArgumentOutOfRangeException(nameof(shape), Messages.Format(Messages.HeaderShapeOverflow, FormatShape(shape), dtype));
        string text = FormatDict(dtype.Descr, fortranOrder, shape);
        // Version 1.0 when the padded header fits its uint16 length field, as NumPy chooses.
        Version version = PaddedLength(Encoding.Latin1.GetByteCount(text), NpyLayout.PreambleLengthV1) <= NpyLayout.MaxHeaderLengthV1 ? new Version(1, 0) : new Version(2, 0);
        int headerLength = PaddedLength(Encoding.Latin1.GetByteCount(text), PreambleLength(version));
        return new NpyHeader(dtype.Descr, dtype, shape.ToArray(), fortranOrder, version, headerLength);
    }

    /// <summary>Returns this header with a different shape, keeping dtype, order and version (for rewriting a header in place).</summary>
    /// <param name="shape">The new shape.</param>
    /// <returns>The new header.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, the size overflows, or the new header does not fit the same length.</exception>
    public NpyHeader WithShape(ReadOnlySpan<long> shape)
    {
        NpyHeader created = Create(DType, shape, FortranOrder);
        if (created.HeaderLength != HeaderLength || created.Version != Version)
            throw new ArgumentOutOfRangeException(nameof(shape), Messages.HeaderNoRoom);
        return created;
    }

    /// <summary>The number of bytes <see cref="ToArray"/> returns: the preamble plus the header, i.e. <see cref="DataOffset"/>.</summary>
    public int EncodedLength => checked((int)DataOffset);

    /// <summary>Encodes the preamble and header exactly as <c>np.save</c> does.</summary>
    /// <returns>A new array of <see cref="EncodedLength"/> bytes.</returns>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[EncodedLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Encodes the preamble and header into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="EncodedLength"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < EncodedLength)
            throw new ArgumentException(Messages.Format(Messages.DestinationTooSmall, EncodedLength), nameof(destination));
        NpyLayout.Magic.CopyTo(destination);
        destination[NpyLayout.MajorVersionOffset] = (byte)Version.Major;
        destination[NpyLayout.MinorVersionOffset] = 0;
        if (Version.Major == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(destination[NpyLayout.HeaderLengthOffset..], (ushort)HeaderLength);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(destination[NpyLayout.HeaderLengthOffset..], (uint)HeaderLength);
        int start = PreambleLength(Version);
        Span<byte> header = destination.Slice(start, HeaderLength);
        Encoding encoding = Version.Major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        int written = encoding.GetBytes(FormatDict(Descr, FortranOrder, _shape), header);
        header[written..^1].Fill((byte)' ');
        header[^1] = (byte)'\n';
    }

    /// <summary>Writes the preamble and header to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToArray());
    }

    // NumPy's dict text: sorted keys, repr() values, a trailing ", ", then spare room for the growth axis.
    private static string FormatDict(string descr, bool fortranOrder, ReadOnlySpan<long> shape)
    {
        var sb = new StringBuilder("{'descr': '");
        sb.Append(descr).Append("', 'fortran_order': ").Append(fortranOrder ? "True" : "False");
        sb.Append(", 'shape': ").Append(FormatShape(shape)).Append(", }");
        if (shape.Length > 0)
        {
            long growth = shape[fortranOrder ? shape.Length - 1 : 0];
            sb.Append(' ', Math.Max(0, NpyLayout.GrowthAxisMaxDigits - growth.ToString(CultureInfo.InvariantCulture).Length));
        }
        return sb.ToString();
    }

    // NumPy pads with spaces and a newline to the next multiple of 64; an exact multiple still gets 64 more bytes.
    private static int PaddedLength(int textLength, int preambleLength)
    {
        int withNewline = textLength + 1;
        int pad = NpyLayout.Alignment - ((preambleLength + withNewline) % NpyLayout.Alignment);
        return withNewline + pad;
    }
}
