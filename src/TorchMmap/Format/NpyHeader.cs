using System.Globalization;
using System.Text;

namespace TorchMmap.Format;

/// <summary>
/// The parsed header of a .npy file: dtype, shape, memory order, format version and where the data starts.
/// </summary>
/// <remarks>
/// Instances are immutable and validated: the dtype is one TorchMmap can load, every dimension is non-negative, and
/// the data size fits in 64 bits. Reading is split from parsing: <see cref="Parse(ReadOnlySpan{byte}, string, NpyReadOptions?, bool)"/>
/// works on bytes alone, and the <c>Read</c> overloads only fetch those bytes.
/// </remarks>
public sealed partial class NpyHeader
{
    private readonly long[] _shape;

    private NpyHeader(string descr, NpyDType dtype, long[] shape, bool fortranOrder, Version version, int headerLength)
    {
        Descr = descr;
        DType = dtype;
        _shape = shape;
        FortranOrder = fortranOrder;
        Version = version;
        HeaderLength = headerLength;
        DataOffset = PreambleLength(version) + (long)headerLength;
        if (!NpyShape.TryGetSize(shape, dtype.ItemSize, out long elements, out long bytes))
            throw new OverflowException();
        ElementCount = elements;
        DataLength = bytes;
    }

    /// <summary>The descr string as the file states it (for example <c>&lt;f4</c>).</summary>
    public string Descr { get; }

    /// <summary>The dtype the descr names.</summary>
    public NpyDType DType { get; }

    /// <summary>The array's shape; empty for a 0-d array.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>True when the data is stored in Fortran (column-major) order.</summary>
    public bool FortranOrder { get; }

    /// <summary>The format version: 1.0, 2.0 or 3.0.</summary>
    public Version Version { get; }

    /// <summary>The length of the header text in bytes, padding and the final newline included.</summary>
    public int HeaderLength { get; }

    /// <summary>The file offset of the first data byte.</summary>
    public long DataOffset { get; }

    /// <summary>The number of elements (1 for a 0-d array).</summary>
    public long ElementCount { get; }

    /// <summary>The number of data bytes the shape and dtype need.</summary>
    public long DataLength { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    internal long[] ShapeArray => _shape;

    /// <summary>The shape written the way Python prints a tuple, e.g. <c>(3, 4)</c> or <c>(5,)</c>.</summary>
    /// <returns>The shape as text.</returns>
    public string FormatShape() => FormatShape(_shape);

    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        if (shape.Length == 1)
            return "(" + shape[0].ToString(CultureInfo.InvariantCulture) + ",)";
        var sb = new StringBuilder("(");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
                sb.Append(", ");
            sb.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append(')').ToString();
    }

    internal static int PreambleLength(Version version) => version.Major == 1 ? NpyLayout.PreambleLengthV1 : NpyLayout.PreambleLengthV2;
}
