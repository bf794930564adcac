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
    /// <param name="dataAlignment">The data starts at a multiple of this many bytes: 64 (the default) as <c>np.save</c>
    /// writes; 4096 puts every row of a whole number of pages on page boundaries, so a direct read of a row reads no
    /// page of another (the header is padded with spaces, which every NumPy reads). A multiple of 64 up to 8192.</param>
    /// <returns>A header whose <see cref="ToArray"/> bytes match <c>np.save</c>'s at the default alignment: version 1.0
    /// unless the header needs 2.0.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, the array's byte size overflows 64 bits, or
    /// <paramref name="dataAlignment"/> is not a multiple of 64 from 64 to 8192.</exception>
    public static NpyHeader Create(NpyDType dtype, ReadOnlySpan<long> shape, bool fortranOrder = false, int dataAlignment = NpyLayout.Alignment)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        if (dataAlignment < NpyLayout.Alignment || dataAlignment > NpyLayout.MaxDataAlignment || dataAlignment % NpyLayout.Alignment != 0)
            throw new ArgumentOutOfRangeException(nameof(dataAlignment), Messages.Format(Messages.HeaderDataAlignment, NpyLayout.MaxDataAlignment, dataAlignment));
        foreach (long d in shape)
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
        if (!NpyShape.TryGetSize(shape, dtype.ItemSize, out _, out _))
            throw new ArgumentOutOfRangeException(nameof(shape), Messages.Format(Messages.HeaderShapeOverflow, FormatShape(shape), dtype));
        string text = FormatDict(dtype.Descr, fortranOrder, shape);
        int textLength = Encoding.Latin1.GetByteCount(text);
        // Version 1.0 when the padded header fits its uint16 length field, as NumPy chooses.
        Version version = PaddedLength(textLength, NpyLayout.PreambleLengthV1, dataAlignment) <= NpyLayout.MaxHeaderLengthV1 ? new Version(1, 0) : new Version(2, 0);
        int headerLength = PaddedLength(textLength, PreambleLength(version), dataAlignment);
        return new NpyHeader(dtype.Descr, dtype, shape.ToArray(), fortranOrder, version, headerLength);
    }

    /// <summary>Returns this header with a different shape, keeping dtype, order and version (for rewriting a header in place).</summary>
    /// <param name="shape">The new shape.</param>
    /// <returns>The new header.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, the size overflows, or the new header does not fit the same length.</exception>
    public NpyHeader WithShape(ReadOnlySpan<long> shape)
    {
        NpyHeader created = Create(DType, shape, FortranOrder, DataAlignment);
        if (created.HeaderLength != HeaderLength || created.Version != Version)
            throw new ArgumentOutOfRangeException(nameof(shape), Messages.HeaderNoRoom);
        return created;
    }

    // The largest alignment (up to what the writers take) this header's data offset has: a header made with a larger
    // alignment than 64 keeps it when rewritten with another shape.
    private int DataAlignment
    {
        get
        {
            int alignment = NpyLayout.MaxDataAlignment;
            while (alignment > NpyLayout.Alignment && DataOffset % alignment != 0)
                alignment /= 2;
            return alignment;
        }
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

    // NumPy pads with spaces and a newline to the next multiple of 64; an exact multiple still gets 64 more bytes. A larger
    // alignment pads the same way to its multiple.
    private static int PaddedLength(int textLength, int preambleLength, int alignment)
    {
        int withNewline = textLength + 1;
        int pad = alignment - ((preambleLength + withNewline) % alignment);
        return withNewline + pad;
    }
}
