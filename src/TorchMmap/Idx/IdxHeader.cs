using System.Buffers.Binary;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Idx;

/// <summary>
/// The header of an IDX file (the format of MNIST and Fashion-MNIST): two zero bytes, an element-type code, the number
/// of dimensions, then each dimension as a big-endian 32-bit integer. The data follows in C order, big-endian.
/// </summary>
public sealed class IdxHeader
{
    private readonly long[] _shape;

    private IdxHeader(IdxElementType elementType, long[] shape)
    {
        ElementType = elementType;
        _shape = shape;
        ItemSize = elementType switch
        {
            IdxElementType.UInt8 or IdxElementType.Int8 => 1,
            IdxElementType.Int16 => 2,
            IdxElementType.Int32 or IdxElementType.Float32 => 4,
            _ => 8,
        };
        // The .npy rule, so the file written for this shape can be read back.
        if (!NpyShape.TryGetSize(shape, ItemSize, out long elements, out long bytes))
            throw new OverflowException();
        ElementCount = elements;
        DataLength = bytes;
    }

    /// <summary>The element type.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Bytes per element.</summary>
    public int ItemSize { get; }

    /// <summary>The number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>Bytes of data after the header.</summary>
    public long DataLength { get; }

    /// <summary>Bytes of the header: 4 of magic and 4 per dimension.</summary>
    public int Length => 4 + 4 * _shape.Length;

    /// <summary>The NumPy dtype (native byte order) that holds the elements unchanged.</summary>
    public NpyDType NpyDType => ElementType switch
    {
        IdxElementType.UInt8 => NpyDType.UInt8,
        IdxElementType.Int8 => NpyDType.Int8,
        IdxElementType.Int16 => NpyDType.Int16,
        IdxElementType.Int32 => NpyDType.Int32,
        IdxElementType.Float32 => NpyDType.Float32,
        _ => NpyDType.Float64,
    };

    /// <summary>Reads and validates the header at the start of <paramref name="stream"/>, leaving the stream at the first data byte.</summary>
    /// <param name="stream">The (decompressed) IDX bytes.</param>
    /// <param name="name">The file name used in messages.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="InvalidDataException">The bytes are not an IDX header: bad magic, unknown type code, no dimensions, a negative
    /// dimension, a shape too large to count, or a truncated header.</exception>
    public static IdxHeader Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(stream, magic, name, 0);
        if (magic[0] != 0 || magic[1] != 0)
            ThrowHelper.InvalidData(Messages.IdxFormatBadMagic, name, magic[0], magic[1]);
        var type = (IdxElementType)magic[2];
        if (!Enum.IsDefined(type))
            ThrowHelper.InvalidData(Messages.IdxBadType, name, magic[2]);
        int rank = magic[3];
        if (rank == 0)
            ThrowHelper.InvalidData(Messages.IdxNoDimensions, name);
        Span<byte> dims = stackalloc byte[4 * rank];
        ReadExactly(stream, dims, name, 4);
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(dims.Slice(4 * i, 4));
            if (d < 0)
                ThrowHelper.InvalidData(Messages.IdxNegativeDimension, name, i, 4 + 4 * i, d);
            shape[i] = d;
        }
        try
        {
            return new IdxHeader(type, shape);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException(Messages.Format(Messages.IdxShapeOverflow, name, string.Join(", ", shape)));
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string name, long offset)
    {
        int got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (got < buffer.Length)
            ThrowHelper.InvalidData(Messages.IdxHeaderTruncated, name, offset + got, buffer.Length - got);
    }
}
