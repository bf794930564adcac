using System.Buffers.Binary;
using TorchMmap.Format;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>What the oracle makes of a valid indexed dataset: each sequence's values and the document indices.</summary>
/// <param name="Sequences">Each sequence's values, as int64 (integer dtypes) or as the bits of the float (float dtypes).</param>
/// <param name="Documents">The document indices.</param>
/// <param name="Modes">Each sequence's mode, or null without modes.</param>
/// <param name="IsFloat">True for float32/float64 data.</param>
/// <param name="ItemSize">Bytes per item.</param>
public sealed record MegatronDecoded(long[][] Sequences, long[] Documents, sbyte[]? Modes, bool IsFloat, int ItemSize);

/// <summary>
/// The fuzzer's own reader of Megatron indexed datasets, written from the format description without the library: the rules
/// Megatron's reader relies on (magic, version 1, a known dtype code, at least one document index, an index exactly as long
/// as its counts say, sequences inside the data file at whole items, document indices from 0 up to the sequence count, a
/// non-empty data file of whole items). It returns null for a dataset that breaks one, which the library must refuse.
/// </summary>
public static class MegatronDecoder
{
    /// <summary>Decodes the dataset, or returns null (with the broken rule) when it is malformed.</summary>
    /// <param name="idx">The index bytes.</param>
    /// <param name="bin">The data bytes.</param>
    /// <param name="convention">The dtype-code table.</param>
    /// <param name="multimodal">True when modes follow.</param>
    /// <param name="why">The broken rule, when null is returned.</param>
    /// <returns>The decoded dataset, or null.</returns>
    public static MegatronDecoded? Decode(byte[] idx, byte[] bin, IndexedDatasetConvention convention, bool multimodal, out string why)
    {
        why = "";
        if (idx.Length < 34)
            return Fail("the index is shorter than its header", out why);
        if (!idx.AsSpan(0, 9).SequenceEqual("MMIDIDX\0\0"u8))
            return Fail("bad magic", out why);
        if (BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(9)) != 1)
            return Fail("version is not 1", out why);
        // Megatron-core: 1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16; GPT-NeoX swaps 6 and 7.
        bool neox = convention == IndexedDatasetConvention.GptNeoX;
        (int size, bool isFloat, bool signed) = idx[17] switch
        {
            1 => (1, false, false),
            2 => (1, false, true),
            3 => (2, false, true),
            4 => (4, false, true),
            5 => (8, false, true),
            6 => (neox ? 4 : 8, true, true),
            7 => (neox ? 8 : 4, true, true),
            8 => (2, false, false),
            _ => (0, false, false),
        };
        if (size == 0)
            return Fail("unknown dtype code", out why);
        ulong s = BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(18));
        ulong d = BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(26));
        if (d == 0)
            return Fail("no document indices", out why);
        UInt128 expected = 34 + (UInt128)s * (multimodal ? 13u : 12u) + (UInt128)d * 8;
        if (expected != (UInt128)idx.Length)
            return Fail($"the index holds {idx.Length} bytes, its counts need {expected}", out why);
        // Megatron maps the data file with np.memmap, which cannot map an empty file.
        if (bin.Length == 0)
            return Fail("the data file is empty", out why);
        if (bin.Length % size != 0)
            return Fail("the data file is not a whole number of items", out why);
        int n = (int)s;
        long lengthsAt = 34, pointersAt = lengthsAt + 4L * n, documentsAt = pointersAt + 8L * n, modesAt = documentsAt + 8L * (long)d;
        var sequences = new long[n][];
        for (int i = 0; i < n; i++)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(idx.AsSpan((int)(lengthsAt + 4L * i)));
            long pointer = BinaryPrimitives.ReadInt64LittleEndian(idx.AsSpan((int)(pointersAt + 8L * i)));
            if (length < 0)
                return Fail($"sequence {i} has a negative length", out why);
            if (pointer < 0 || pointer % size != 0 || (Int128)pointer + (Int128)length * size > bin.Length)
                return Fail($"sequence {i} lies outside the data file or not at a whole item", out why);
            long[] values = new long[length];
            for (int k = 0; k < length; k++)
            {
                ReadOnlySpan<byte> item = bin.AsSpan((int)pointer + k * size, size);
                values[k] = (size, signed) switch
                {
                    (1, false) => item[0],
                    (1, true) => (sbyte)item[0],
                    (2, false) => BinaryPrimitives.ReadUInt16LittleEndian(item),
                    (2, true) => BinaryPrimitives.ReadInt16LittleEndian(item),
                    (4, _) when isFloat => BinaryPrimitives.ReadUInt32LittleEndian(item),
                    (4, _) => BinaryPrimitives.ReadInt32LittleEndian(item),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(item),
                };
            }
            sequences[i] = values;
        }
        long[] documents = new long[(int)d];
        for (int k = 0; k < documents.Length; k++)
        {
            documents[k] = BinaryPrimitives.ReadInt64LittleEndian(idx.AsSpan((int)(documentsAt + 8L * k)));
            if (k == 0 && documents[k] != 0)
                return Fail("the first document index is not 0", out why);
            if (k > 0 && documents[k] < documents[k - 1])
                return Fail($"document index {k} decreases", out why);
        }
        if (documents[^1] != n)
            return Fail("the last document index is not the sequence count", out why);
        sbyte[]? modes = multimodal ? idx.AsSpan((int)modesAt, n).ToArray().Select(b => (sbyte)b).ToArray() : null;
        return new MegatronDecoded(sequences, documents, modes, isFloat, size);
    }

    private static MegatronDecoded? Fail(string rule, out string why)
    {
        why = rule;
        return null;
    }
}
