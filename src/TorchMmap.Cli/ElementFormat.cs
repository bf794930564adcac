using System.Buffers.Binary;
using System.Globalization;
using TorchMmap.Format;

namespace TorchMmap.Cli;

/// <summary>Decodes single elements of a NumPy dtype from their bytes (either byte order), without libtorch.</summary>
internal static class ElementFormat
{
    /// <summary>The element as a double: bools 0/1, integers converted, complex refused by the caller.</summary>
    public static double ToDouble(NpyDType dtype, ReadOnlySpan<byte> b)
    {
        bool big = dtype.ByteOrder == NpyByteOrder.Big;
        return (dtype.Kind, dtype.ItemSize) switch
        {
            (NpyKind.Bool, _) => b[0] != 0 ? 1 : 0,
            (NpyKind.SignedInteger, 1) => (sbyte)b[0],
            (NpyKind.UnsignedInteger, 1) => b[0],
            (NpyKind.SignedInteger, 2) => big ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b),
            (NpyKind.UnsignedInteger, 2) => big ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b),
            (NpyKind.SignedInteger, 4) => big ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b),
            (NpyKind.UnsignedInteger, 4) => big ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
            (NpyKind.SignedInteger, 8) => big ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b),
            (NpyKind.UnsignedInteger, 8) => big ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b),
            (NpyKind.Float, 2) => (double)(big ? BinaryPrimitives.ReadHalfBigEndian(b) : BinaryPrimitives.ReadHalfLittleEndian(b)),
            (NpyKind.Float, 4) => big ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b),
            (NpyKind.Float, 8) => big ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b),
            _ => throw new NotSupportedException($"{dtype.Descr} has no single real value."),
        };
    }

    /// <summary>The element as NumPy prints it in short form: True/False, integers exactly, reals and complex to 6 digits.</summary>
    public static string ToText(NpyDType dtype, ReadOnlySpan<byte> b)
    {
        switch (dtype.Kind)
        {
            case NpyKind.Bool:
                return b[0] != 0 ? "True" : "False";
            case NpyKind.SignedInteger when dtype.ItemSize == 8:
                return (dtype.ByteOrder == NpyByteOrder.Big ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b)).ToString(CultureInfo.InvariantCulture);
            case NpyKind.UnsignedInteger when dtype.ItemSize == 8:
                return (dtype.ByteOrder == NpyByteOrder.Big ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b)).ToString(CultureInfo.InvariantCulture);
            case NpyKind.SignedInteger or NpyKind.UnsignedInteger:
                // Up to 32 bits, a double holds every value exactly.
                return ((long)ToDouble(dtype, b)).ToString(CultureInfo.InvariantCulture);
            case NpyKind.Complex:
                NpyDType part = dtype.ItemSize == 8 ? Part(NpyDType.Float32, dtype) : Part(NpyDType.Float64, dtype);
                int half = dtype.ItemSize / 2;
                double re = ToDouble(part, b[..half]), im = ToDouble(part, b[half..]);
                return string.Create(CultureInfo.InvariantCulture, $"{re:G6}{(im < 0 ? "-" : "+")}{Math.Abs(im):G6}j");
            default:
                return ToDouble(dtype, b).ToString("G6", CultureInfo.InvariantCulture);
        }
    }

    // The real dtype of one half of a complex element, in the complex dtype's byte order.
    private static NpyDType Part(NpyDType native, NpyDType complex) =>
        complex.ByteOrder == native.ByteOrder ? native : NpyDType.Parse((complex.ByteOrder == NpyByteOrder.Big ? ">" : "<") + "f" + native.ItemSize);
}
