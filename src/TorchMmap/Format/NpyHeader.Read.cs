using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Text;
using TorchMmap.Internal;

namespace TorchMmap.Format;

public sealed partial class NpyHeader
{
    private static readonly Encoding s_strictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and validates the header of the .npy file at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Limits; <see cref="NpyReadOptions.Default"/> when null.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed .npy file, or its data is shorter than the shape needs.</exception>
    /// <exception cref="NotSupportedException">The file is well formed but its dtype cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads take a path or a stream as their first parameter, so no call binds to both; the optional options come last in each, as NpyArray.Open does.")]
    public static NpyHeader Read(string path, NpyReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = InputFile.Open(path);
        return Read(stream, path, options);
    }

    /// <summary>
    /// Reads and validates a .npy header from <paramref name="stream"/>, leaving it positioned at the first data byte.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the start of a .npy file. It is not disposed.</param>
    /// <param name="name">The name used in error messages (a path); defaults to "stream".</param>
    /// <param name="options">Limits; <see cref="NpyReadOptions.Default"/> when null.</param>
    /// <returns>The header.</returns>
    /// <remarks>When the stream can seek, the data section is checked against the stream's length too.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed .npy header.</exception>
    /// <exception cref="NotSupportedException">The header is well formed but its dtype cannot be loaded.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads take a path or a stream as their first parameter, so no call binds to both; the optional options come last in each, as NpyArray.Open does.")]
    public static NpyHeader Read(Stream stream, string? name = null, NpyReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
            throw new ArgumentException(Messages.StreamNotReadable, nameof(stream));
        name ??= "stream";
        options ??= NpyReadOptions.Default;
        long start = stream.CanSeek ? stream.Position : 0;
        long available = stream.CanSeek ? stream.Length - start : long.MaxValue;

        Span<byte> preamble = stackalloc byte[NpyLayout.PreambleLengthV2];
        int got = stream.ReadAtLeast(preamble[..NpyLayout.PreambleLengthV1], NpyLayout.PreambleLengthV1, throwOnEndOfStream: false);
        CheckPreambleStart(preamble[..got], name);
        int preambleLength = preamble[NpyLayout.MajorVersionOffset] == 1 ? NpyLayout.PreambleLengthV1 : NpyLayout.PreambleLengthV2;
        if (preambleLength > got)
        {
            got += stream.ReadAtLeast(preamble[got..preambleLength], preambleLength - got, throwOnEndOfStream: false);
            if (got < preambleLength)
                throw new InvalidDataException(Messages.Format(Messages.FileTooShort, name, got, preambleLength));
        }
        (Version version, long headerLength) = ParsePreamble(preamble[..preambleLength], name, options);
        if (headerLength > available - preambleLength)
            throw new InvalidDataException(Messages.Format(Messages.HeaderPastEnd, name, headerLength, Math.Max(0, available - preambleLength)));

        byte[] rented = ArrayPool<byte>.Shared.Rent((int)headerLength);
        try
        {
            Span<byte> text = rented.AsSpan(0, (int)headerLength);
            int read = stream.ReadAtLeast(text, text.Length, throwOnEndOfStream: false);
            if (read < text.Length)
                throw new InvalidDataException(Messages.Format(Messages.HeaderPastEnd, name, headerLength, read));
            NpyHeader header = ParseHeaderText(text, version, name);
            if (stream.CanSeek)
                header.CheckDataFits(available, name);
            return header;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Parses and validates a .npy header from bytes: the start of a file, at least its preamble and header.
    /// </summary>
    /// <param name="bytes">The file's first bytes. When they are the whole file, set <paramref name="isWholeFile"/> so the data length is checked too.</param>
    /// <param name="name">The name used in error messages (a path).</param>
    /// <param name="options">Limits; <see cref="NpyReadOptions.Default"/> when null.</param>
    /// <param name="isWholeFile">True when <paramref name="bytes"/> holds the entire file.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed .npy header.</exception>
    /// <exception cref="NotSupportedException">The header is well formed but its dtype cannot be loaded.</exception>
    public static NpyHeader Parse(ReadOnlySpan<byte> bytes, string name, NpyReadOptions? options = null, bool isWholeFile = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= NpyReadOptions.Default;
        CheckPreambleStart(bytes[..Math.Min(bytes.Length, NpyLayout.PreambleLengthV1)], name);
        int preambleLength = bytes[NpyLayout.MajorVersionOffset] == 1 ? NpyLayout.PreambleLengthV1 : NpyLayout.PreambleLengthV2;
        if (bytes.Length < preambleLength)
            throw new InvalidDataException(Messages.Format(Messages.FileTooShort, name, bytes.Length, preambleLength));
        (Version version, long headerLength) = ParsePreamble(bytes[..preambleLength], name, options);
        if (headerLength > bytes.Length - preambleLength)
            throw new InvalidDataException(Messages.Format(Messages.HeaderPastEnd, name, headerLength, bytes.Length - preambleLength));
        NpyHeader header = ParseHeaderText(bytes.Slice(preambleLength, (int)headerLength), version, name);
        if (isWholeFile)
            header.CheckDataFits(bytes.Length, name);
        return header;
    }

    /// <summary>Returns true when <paramref name="bytes"/> start with the .npy magic string.</summary>
    /// <param name="bytes">The first bytes of a file.</param>
    /// <returns>True for a .npy file (or the start of one).</returns>
    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.StartsWith(NpyLayout.Magic);

    // Throws unless the data section fits in a file of the given length.
    internal void CheckDataFits(long fileLength, string name)
    {
        if (DataLength > fileLength - DataOffset)
            throw new InvalidDataException(Messages.Format(Messages.DataTooShort, name, FormatShape(), Descr, DataLength, DataOffset, fileLength));
    }

    // The cheapest and most telling checks first: emptiness, magic, version.
    private static void CheckPreambleStart(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException(Messages.Format(Messages.EmptyFile, name, NpyLayout.PreambleLengthV1));
        int magicLength = Math.Min(bytes.Length, NpyLayout.MagicLength);
        if (!bytes[..magicLength].SequenceEqual(NpyLayout.Magic[..magicLength]))
            throw new InvalidDataException(Messages.Format(Messages.BadMagic, name, Convert.ToHexString(bytes[..magicLength]).Chunk2()));
        if (bytes.Length < NpyLayout.PreambleLengthV1)
            throw new InvalidDataException(Messages.Format(Messages.FileTooShort, name, bytes.Length, NpyLayout.PreambleLengthV1));
        byte major = bytes[NpyLayout.MajorVersionOffset];
        byte minor = bytes[NpyLayout.MinorVersionOffset];
        if (major is < 1 or > 3 || minor != 0)
            throw new InvalidDataException(Messages.Format(Messages.UnknownVersion, name, major, minor));
    }

    private static (Version Version, long HeaderLength) ParsePreamble(ReadOnlySpan<byte> preamble, string name, NpyReadOptions options)
    {
        byte major = preamble[NpyLayout.MajorVersionOffset];
        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(preamble.Slice(NpyLayout.HeaderLengthOffset, NpyLayout.HeaderLengthSizeV1))
            : BinaryPrimitives.ReadUInt32LittleEndian(preamble.Slice(NpyLayout.HeaderLengthOffset, NpyLayout.HeaderLengthSizeV2));
        if (headerLength > options.MaxHeaderLength)
            throw new InvalidDataException(Messages.Format(Messages.HeaderTooLong, name, headerLength, options.MaxHeaderLength));
        return (new Version(major, 0), headerLength);
    }

    private static NpyHeader ParseHeaderText(ReadOnlySpan<byte> bytes, Version version, string name)
    {
        int preambleLength = PreambleLength(version);
        string text;
        if (version.Major == 3)
        {
            try
            {
                text = s_strictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException(Messages.Format(Messages.HeaderNotText, name, preambleLength, "UTF-8"));
            }
        }
        else
        {
            text = Encoding.Latin1.GetString(bytes);
        }

        object? literal;
        try
        {
            literal = PyLiteralParser.Parse(text, allowLongSuffix: version.Major < 3);
        }
        catch (PyLiteralException ex)
        {
            throw new InvalidDataException(Messages.Format(Messages.HeaderSyntax, name, ex.Message, ex.Offset, preambleLength + ex.Offset));
        }
        if (literal is not PyDict dict)
            throw new InvalidDataException(Messages.Format(Messages.HeaderNotDict, name, PyLiteralParser.Describe(literal)));

        object? descrValue = null, fortranValue = null, shapeValue = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<string>();
        foreach ((object? key, object? value) in dict.Entries)
        {
            string keyText = key is string s ? s : PyLiteralParser.Describe(key);
            if (!seen.Add(keyText))
                throw new InvalidDataException(Messages.Format(Messages.HeaderDuplicateKey, name, keyText));
            keys.Add(key is string ? "'" + keyText + "'" : keyText);
            switch (key as string)
            {
                case "descr": descrValue = value; break;
                case "fortran_order": fortranValue = value; break;
                case "shape": shapeValue = value; break;
            }
        }
        if (keys.Count != 3 || !seen.Contains("descr") || !seen.Contains("fortran_order") || !seen.Contains("shape"))
            throw new InvalidDataException(Messages.Format(Messages.HeaderKeys, name, keys.Count == 0 ? "none" : string.Join(", ", keys)));

        if (fortranValue is not bool fortranOrder)
            throw new InvalidDataException(Messages.Format(Messages.FortranNotBool, name, PyLiteralParser.Describe(fortranValue)));
        long[] shape = ParseShape(shapeValue, name);
        string descr = descrValue switch
        {
            string d => d,
            PyList or PyTuple => throw new NotSupportedException(Messages.Format(Messages.DescrUnsupported, name, PyLiteralParser.Repr(descrValue), "structured, record and sub-array dtypes have no tensor type")),
            _ => throw new InvalidDataException(Messages.Format(Messages.DescrNotString, name, PyLiteralParser.Describe(descrValue))),
        };
        NpyDType dtype = NpyDType.TryParseCore(descr, out NpyDType? parsed, out string? reason) switch
        {
            NpyDType.ParseResult.Ok => parsed!,
            NpyDType.ParseResult.Unsupported => throw new NotSupportedException(Messages.Format(Messages.DescrUnsupported, name, descr, reason)),
            _ => throw new InvalidDataException(Messages.Format(Messages.DescrUnknown, name, descr)),
        };

        if (!NpyShape.TryGetSize(shape, dtype.ItemSize, out _, out _))
            throw new InvalidDataException(Messages.Format(Messages.ShapeOverflow, name, FormatShape(shape), descr));
        return new NpyHeader(descr, dtype, shape, fortranOrder, version, bytes.Length);
    }

    private static long[] ParseShape(object? value, string name)
    {
        if (value is not PyTuple tuple)
            throw new InvalidDataException(Messages.Format(Messages.ShapeNotTuple, name, PyLiteralParser.Describe(value)));
        long[] shape = new long[tuple.Items.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not BigInteger dim)
                throw new InvalidDataException(Messages.Format(Messages.ShapeNotTuple, name, "a tuple holding " + PyLiteralParser.Describe(tuple.Items[i])));
            if (dim.Sign < 0)
                throw new InvalidDataException(Messages.Format(Messages.ShapeNegative, name, i, dim));
            if (dim > long.MaxValue)
                throw new InvalidDataException(Messages.Format(Messages.ShapeOverflow, name, "with dimension " + dim.ToString(System.Globalization.CultureInfo.InvariantCulture), "any dtype"));
            shape[i] = (long)dim;
        }
        return shape;
    }
}
