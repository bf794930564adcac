using System.Buffers.Binary;
using TorchMmap.Format;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// A valid Megatron indexed dataset, laid out byte by byte from the format description (not by the library's writer):
/// <c>MMIDIDX\0\0</c>, u64 version 1, u8 dtype code, u64 sequence count, u64 document-index count, int32 lengths, int64 byte
/// pointers, int64 document indices, then int8 modes in a multimodal index; all little-endian.
/// </summary>
/// <param name="Code">The dtype code (1 to 8).</param>
/// <param name="Convention">The dtype-code table it is read with.</param>
/// <param name="Multimodal">True when modes follow.</param>
/// <param name="Lengths">Items per sequence.</param>
/// <param name="Pointers">Byte offset of each sequence in the data file.</param>
/// <param name="Documents">Document indices: 0, ..., the sequence count.</param>
/// <param name="Modes">One mode per sequence (written only when <paramref name="Multimodal"/>).</param>
/// <param name="Bin">The data file.</param>
public sealed record MegatronBaseFile(byte Code, IndexedDatasetConvention Convention, bool Multimodal, int[] Lengths, long[] Pointers, long[] Documents, sbyte[] Modes, byte[] Bin)
{
    /// <summary>Where the length array starts in the index.</summary>
    public const int HeaderSize = 34;

    /// <summary>The index file's bytes.</summary>
    public byte[] Idx
    {
        get
        {
            int s = Lengths.Length;
            byte[] idx = new byte[HeaderSize + s * 12 + Documents.Length * 8 + (Multimodal ? s : 0)];
            "MMIDIDX\0\0"u8.CopyTo(idx);
            BinaryPrimitives.WriteUInt64LittleEndian(idx.AsSpan(9), 1);
            idx[17] = Code;
            BinaryPrimitives.WriteUInt64LittleEndian(idx.AsSpan(18), (ulong)s);
            BinaryPrimitives.WriteUInt64LittleEndian(idx.AsSpan(26), (ulong)Documents.Length);
            int at = HeaderSize;
            foreach (int length in Lengths)
            {
                BinaryPrimitives.WriteInt32LittleEndian(idx.AsSpan(at), length);
                at += 4;
            }
            foreach (long pointer in Pointers)
            {
                BinaryPrimitives.WriteInt64LittleEndian(idx.AsSpan(at), pointer);
                at += 8;
            }
            foreach (long document in Documents)
            {
                BinaryPrimitives.WriteInt64LittleEndian(idx.AsSpan(at), document);
                at += 8;
            }
            if (Multimodal)
            {
                foreach (sbyte mode in Modes)
                    idx[at++] = (byte)mode;
            }
            return idx;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"code {Code} ({Convention}{(Multimodal ? ", multimodal" : "")}), {Lengths.Length} sequences [{string.Join(",", Lengths)}] at [{string.Join(",", Pointers)}], documents [{string.Join(",", Documents)}], .bin {Bin.Length} bytes";
}
