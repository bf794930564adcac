using System.Buffers.Binary;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>A valid IDX file, built from the format description, that mutations start from.</summary>
/// <param name="TypeCode">The element type code (0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E).</param>
/// <param name="Dims">The dimensions, outermost first.</param>
/// <param name="Data">The data bytes (big-endian elements), exactly as many as the dimensions need.</param>
public sealed record IdxBaseFile(byte TypeCode, int[] Dims, byte[] Data)
{
    /// <summary>The type codes the format defines, with their element sizes.</summary>
    public static IReadOnlyList<(byte Code, int Size)> Types { get; } = [(0x08, 1), (0x09, 1), (0x0B, 2), (0x0C, 4), (0x0D, 4), (0x0E, 8)];

    /// <summary>The uncompressed file: 00 00, type code, rank, big-endian dimensions, data.</summary>
    public byte[] Bytes { get; } = Build(TypeCode, Dims, Data);

    /// <summary>The length of the header (magic and dimensions).</summary>
    public int HeaderLength => 4 + 4 * Dims.Length;

    /// <inheritdoc />
    public override string ToString() => $"type 0x{TypeCode:X2} ({string.Join(", ", Dims)})";

    private static byte[] Build(byte typeCode, int[] dims, byte[] data)
    {
        byte[] bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }
}
