using System.Diagnostics.CodeAnalysis;
using TorchMmap.Internal;
using TorchSharp;

namespace TorchMmap.Format;

/// <summary>
/// A NumPy dtype that TorchMmap can describe: its kind, item size, byte order, descr string, and the TorchSharp
/// <see cref="torch.ScalarType"/> its values load as.
/// </summary>
/// <remarks>
/// Instances are immutable. <c>uint16</c> and <c>uint32</c> load widened to <c>int32</c> and <c>int64</c>, which hold
/// every value exactly; <c>uint64</c> has no lossless TorchSharp type and is refused.
/// </remarks>
public sealed class NpyDType : IEquatable<NpyDType>
{
    private NpyDType(NpyKind kind, int itemSize, NpyByteOrder byteOrder, torch.ScalarType scalarType, int loadedItemSize)
    {
        Kind = kind;
        ItemSize = itemSize;
        ByteOrder = byteOrder;
        ScalarType = scalarType;
        LoadedItemSize = loadedItemSize;
        Descr = (byteOrder switch { NpyByteOrder.Little => "<", NpyByteOrder.Big => ">", _ => "|" }) + KindChar(kind) + itemSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The kind of value.</summary>
    public NpyKind Kind { get; }

    /// <summary>The size of one element in the file, in bytes.</summary>
    public int ItemSize { get; }

    /// <summary>The byte order of elements in the file.</summary>
    public NpyByteOrder ByteOrder { get; }

    /// <summary>The TorchSharp element type that values load as.</summary>
    public torch.ScalarType ScalarType { get; }

    /// <summary>The size of one element once loaded into a tensor (larger than <see cref="ItemSize"/> for widened types).</summary>
    public int LoadedItemSize { get; }

    /// <summary>NumPy's descr string for this dtype, normalised (for example <c>&lt;f4</c> or <c>|u1</c>).</summary>
    public string Descr { get; }

    /// <summary>True when loading changes the bytes: a byte swap or a widening.</summary>
    public bool NeedsConversion => IsSwapped || LoadedItemSize != ItemSize;

    /// <summary>True when the file's byte order differs from this machine's.</summary>
    public bool IsSwapped => ByteOrder == (BitConverter.IsLittleEndian ? NpyByteOrder.Big : NpyByteOrder.Little);

    /// <summary>The native-order <c>bool</c> dtype (<c>|b1</c>).</summary>
    public static NpyDType Bool { get; } = Create(NpyKind.Bool, 1, NpyByteOrder.NotApplicable);

    /// <summary>The <c>int8</c> dtype (<c>|i1</c>).</summary>
    public static NpyDType Int8 { get; } = Create(NpyKind.SignedInteger, 1, NpyByteOrder.NotApplicable);

    /// <summary>The <c>uint8</c> dtype (<c>|u1</c>).</summary>
    public static NpyDType UInt8 { get; } = Create(NpyKind.UnsignedInteger, 1, NpyByteOrder.NotApplicable);

    /// <summary>The native-order <c>int16</c> dtype.</summary>
    public static NpyDType Int16 { get; } = Create(NpyKind.SignedInteger, 2, NativeOrder);

    /// <summary>The native-order <c>uint16</c> dtype (loads as <c>int32</c>).</summary>
    public static NpyDType UInt16 { get; } = Create(NpyKind.UnsignedInteger, 2, NativeOrder);

    /// <summary>The native-order <c>int32</c> dtype.</summary>
    public static NpyDType Int32 { get; } = Create(NpyKind.SignedInteger, 4, NativeOrder);

    /// <summary>The native-order <c>uint32</c> dtype (loads as <c>int64</c>).</summary>
    public static NpyDType UInt32 { get; } = Create(NpyKind.UnsignedInteger, 4, NativeOrder);

    /// <summary>The native-order <c>int64</c> dtype.</summary>
    public static NpyDType Int64 { get; } = Create(NpyKind.SignedInteger, 8, NativeOrder);

    /// <summary>The native-order <c>float16</c> dtype.</summary>
    public static NpyDType Float16 { get; } = Create(NpyKind.Float, 2, NativeOrder);

    /// <summary>The native-order <c>float32</c> dtype.</summary>
    public static NpyDType Float32 { get; } = Create(NpyKind.Float, 4, NativeOrder);

    /// <summary>The native-order <c>float64</c> dtype.</summary>
    public static NpyDType Float64 { get; } = Create(NpyKind.Float, 8, NativeOrder);

    /// <summary>The native-order <c>complex64</c> dtype.</summary>
    public static NpyDType Complex64 { get; } = Create(NpyKind.Complex, 8, NativeOrder);

    /// <summary>The native-order <c>complex128</c> dtype.</summary>
    public static NpyDType Complex128 { get; } = Create(NpyKind.Complex, 16, NativeOrder);

    private static NpyByteOrder NativeOrder => BitConverter.IsLittleEndian ? NpyByteOrder.Little : NpyByteOrder.Big;

    /// <summary>Parses a NumPy descr string such as <c>&lt;f4</c>, <c>|u1</c>, <c>&gt;i8</c> or <c>?</c>.</summary>
    /// <param name="descr">The descr, as stored in a .npy header.</param>
    /// <returns>The dtype.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="descr"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="descr"/> is not an array-protocol type string.</exception>
    /// <exception cref="NotSupportedException">The descr is a valid NumPy dtype with no TorchSharp type (uint64, strings, datetimes, objects, structured).</exception>
    public static NpyDType Parse(string descr)
    {
        ArgumentNullException.ThrowIfNull(descr);
        ParseResult result = TryParseCore(descr, out NpyDType? dtype, out string? reason);
        return result switch
        {
            ParseResult.Ok => dtype!,
            ParseResult.Unsupported => throw new NotSupportedException(Messages.Format(Messages.DTypeUnsupported, descr, reason)),
            _ => throw new FormatException(Messages.Format(Messages.DescrNotTypeString, descr)),
        };
    }

    /// <summary>Tries to parse a NumPy descr string into a dtype TorchMmap can load.</summary>
    /// <param name="descr">The descr.</param>
    /// <param name="dtype">The dtype when this returns true.</param>
    /// <returns>True when <paramref name="descr"/> names a supported dtype.</returns>
    public static bool TryParse(string? descr, [NotNullWhen(true)] out NpyDType? dtype)
    {
        dtype = null;
        return descr is not null && TryParseCore(descr, out dtype, out _) == ParseResult.Ok;
    }

    /// <summary>The dtype a tensor of the given element type is saved as (native byte order).</summary>
    /// <param name="scalarType">The tensor's element type.</param>
    /// <returns>The dtype.</returns>
    /// <exception cref="NotSupportedException">NumPy has no matching dtype (for example bfloat16).</exception>
    public static NpyDType FromScalarType(torch.ScalarType scalarType) => scalarType switch
    {
        torch.ScalarType.Bool => Bool,
        torch.ScalarType.Int8 => Int8,
        torch.ScalarType.Byte => UInt8,
        torch.ScalarType.Int16 => Int16,
        torch.ScalarType.Int32 => Int32,
        torch.ScalarType.Int64 => Int64,
        torch.ScalarType.Float16 => Float16,
        torch.ScalarType.Float32 => Float32,
        torch.ScalarType.Float64 => Float64,
        torch.ScalarType.ComplexFloat32 => Complex64,
        torch.ScalarType.ComplexFloat64 => Complex128,
        _ => throw new NotSupportedException(Messages.Format(Messages.ScalarTypeNoDType, scalarType)),
    };

    /// <inheritdoc />
    public bool Equals(NpyDType? other) => other is not null && Kind == other.Kind && ItemSize == other.ItemSize && ByteOrder == other.ByteOrder;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as NpyDType);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, ItemSize, ByteOrder);

    /// <summary>Returns <see cref="Descr"/>.</summary>
    /// <returns>The descr string.</returns>
    public override string ToString() => Descr;

    internal enum ParseResult
    {
        Ok,
        Unsupported,
        Malformed,
    }

    // Accepts what np.load accepts (it hands the descr to np.dtype): an optional byte-order character, then a one-character
    // type code ('<e', 'f', '<?') or a kind and a size in bytes, leading zeros allowed ('<f4', '<f04'). Deliberately
    // stricter than np.dtype: no spaces or sign inside ('f 4', '<f+4'), which NumPy tolerates only by accident of parsing.
    internal static ParseResult TryParseCore(string descr, out NpyDType? dtype, out string? reason)
    {
        dtype = null;
        reason = null;
        ReadOnlySpan<char> s = descr.AsSpan();
        char order = '=';
        if (s.Length > 0 && s[0] is '<' or '>' or '|' or '=')
        {
            order = s[0];
            s = s[1..];
        }
        if (s.Length == 0)
            return ParseResult.Malformed;

        char kind = s[0];
        ReadOnlySpan<char> digits = s[1..];
        if (digits.Length == 0 && TypeCode(kind) is (char codeKind, int codeSize))
        {
            if (codeKind == '\0')
            {
                reason = kind is 'g' or 'G' ? "extended-precision (long double) values have no tensor type" : "string dtypes have no tensor type";
                return ParseResult.Unsupported;
            }
            kind = codeKind;
            digits = codeSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (kind is 'O')
        {
            reason = "object arrays hold pickled Python objects, which are never read";
            return digits.Length == 0 || digits.SequenceEqual("8") ? ParseResult.Unsupported : ParseResult.Malformed;
        }
        if (kind is 'U' or 'S' or 'a' or 'V' or 'M' or 'm')
        {
            reason = kind switch
            {
                'U' or 'S' or 'a' => "string dtypes have no tensor type",
                'V' => "raw void and structured dtypes have no tensor type",
                _ => "datetime and timedelta dtypes have no tensor type",
            };
            return ParseResult.Unsupported;
        }
        if (kind is not ('b' or 'i' or 'u' or 'f' or 'c'))
            return ParseResult.Malformed;
        // NumPy reads the size with int(): leading zeros are allowed ('<f04' is '<f4'), a size of zero is not.
        digits = digits.TrimStart('0');
        if (digits.Length is 0 or > 2 || !int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int size))
            return ParseResult.Malformed;

        NpyKind npyKind = kind switch
        {
            'b' => NpyKind.Bool,
            'i' => NpyKind.SignedInteger,
            'u' => NpyKind.UnsignedInteger,
            'f' => NpyKind.Float,
            _ => NpyKind.Complex,
        };
        bool valid = npyKind switch
        {
            NpyKind.Bool => size == 1,
            NpyKind.SignedInteger or NpyKind.UnsignedInteger => size is 1 or 2 or 4 or 8,
            NpyKind.Float => size is 2 or 4 or 8 or 12 or 16,
            _ => size is 8 or 16 or 24 or 32,
        };
        if (!valid)
            return ParseResult.Malformed;
        if (npyKind == NpyKind.UnsignedInteger && size == 8)
        {
            reason = "uint64 has no lossless TorchSharp type";
            return ParseResult.Unsupported;
        }
        if ((npyKind == NpyKind.Float && size > 8) || (npyKind == NpyKind.Complex && size > 16))
        {
            reason = "extended-precision (long double) values have no tensor type";
            return ParseResult.Unsupported;
        }

        NpyByteOrder byteOrder = size == 1 ? NpyByteOrder.NotApplicable : order switch
        {
            '<' => NpyByteOrder.Little,
            '>' => NpyByteOrder.Big,
            // NumPy reads '|' on a multi-byte type ('|i4') as native order, like '='.
            _ => NativeOrder,
        };
        dtype = Create(npyKind, size, byteOrder);
        return ParseResult.Ok;
    }

    // NumPy's one-character type codes as (kind, size); kind '\0' for codes that name no loadable type. 'l' and 'L' are C's
    // long and 'p' and 'P' a pointer, whose sizes NumPy takes from the platform it runs on, as this does.
    private static (char Kind, int Size)? TypeCode(char code) => code switch
    {
        '?' => ('b', 1),
        'b' => ('i', 1),
        'B' => ('u', 1),
        'h' => ('i', 2),
        'H' => ('u', 2),
        'i' => ('i', 4),
        'I' => ('u', 4),
        'l' => ('i', OperatingSystem.IsWindows() ? 4 : IntPtr.Size),
        'L' => ('u', OperatingSystem.IsWindows() ? 4 : IntPtr.Size),
        'q' => ('i', 8),
        'Q' => ('u', 8),
        'p' => ('i', IntPtr.Size),
        'P' => ('u', IntPtr.Size),
        'e' => ('f', 2),
        'f' => ('f', 4),
        'd' => ('f', 8),
        'F' => ('c', 8),
        'D' => ('c', 16),
        'g' or 'G' or 'c' => ('\0', 0),
        _ => null,
    };

    // uint64 for token files only: the token layer widens it to int64 with a range check. Never handed to the tensor paths,
    // which would reinterpret values above 2^63.
    internal static NpyDType UInt64Tokens(NpyByteOrder order) => Create(NpyKind.UnsignedInteger, 8, order);

    private static NpyDType Create(NpyKind kind, int size, NpyByteOrder order)
    {
        (torch.ScalarType type, int loaded) = (kind, size) switch
        {
            (NpyKind.Bool, _) => (torch.ScalarType.Bool, 1),
            (NpyKind.SignedInteger, 1) => (torch.ScalarType.Int8, 1),
            (NpyKind.SignedInteger, 2) => (torch.ScalarType.Int16, 2),
            (NpyKind.SignedInteger, 4) => (torch.ScalarType.Int32, 4),
            (NpyKind.SignedInteger, _) => (torch.ScalarType.Int64, 8),
            (NpyKind.UnsignedInteger, 1) => (torch.ScalarType.Byte, 1),
            (NpyKind.UnsignedInteger, 2) => (torch.ScalarType.Int32, 4),
            (NpyKind.UnsignedInteger, _) => (torch.ScalarType.Int64, 8),
            (NpyKind.Float, 2) => (torch.ScalarType.Float16, 2),
            (NpyKind.Float, 4) => (torch.ScalarType.Float32, 4),
            (NpyKind.Float, _) => (torch.ScalarType.Float64, 8),
            (NpyKind.Complex, 8) => (torch.ScalarType.ComplexFloat32, 8),
            _ => (torch.ScalarType.ComplexFloat64, 16),
        };
        return new NpyDType(kind, size, order, type, loaded);
    }

    private static char KindChar(NpyKind kind) => kind switch
    {
        NpyKind.Bool => 'b',
        NpyKind.SignedInteger => 'i',
        NpyKind.UnsignedInteger => 'u',
        NpyKind.Float => 'f',
        _ => 'c',
    };
}
