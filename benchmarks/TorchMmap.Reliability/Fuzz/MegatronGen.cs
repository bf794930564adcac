using System.Buffers.Binary;
using CsCheck;
using TorchMmap.Format;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>CsCheck generators of Megatron indexed-dataset fuzz cases: valid datasets of every dtype code, both conventions,
/// with and without modes, and their damage.</summary>
public static class MegatronGen
{
    private static readonly long[] s_interesting = [0, 1, -1, 2, 3, 7, 8, int.MaxValue, int.MinValue, uint.MaxValue, 1L << 32, long.MaxValue, long.MinValue, long.MaxValue / 8, 1L << 40];

    /// <summary>A valid dataset: 1 to 5 documents of 0 to 3 sequences of 0 to 12 items, placed one after another (as Megatron's
    /// builder writes them) or anywhere in a data file with slack.</summary>
    public static Gen<MegatronBaseFile> Base { get; } =
        from code in Gen.Byte[1, 8]
        from convention in Gen.Bool.Select(neox => neox ? IndexedDatasetConvention.GptNeoX : IndexedDatasetConvention.Megatron)
        from multimodal in Gen.Frequency((3, Gen.Const(false)), (1, Gen.Const(true)))
        from perDocument in Gen.Int[0, 3].Array[1, 5]
        from lengths in Gen.Int[0, 12].Array[perDocument.Sum()]
        from scattered in Gen.Bool
        from slack in Gen.Int[0, 4]
        from places in Gen.Double.Unit.Array[lengths.Length]
        from modes in Gen.SByte.Array[lengths.Length]
        from seed in Gen.Int
        select Build(code, convention, multimodal, perDocument, lengths, scattered, slack, places, modes, seed);

    /// <summary>Every family, equally often.</summary>
    public static Gen<MegatronCase> Any => Gen.OneOf(Valid, IdxTruncated, BinTruncated, HeaderBytes, LyingField, BodyBytes, Extended, WrongFlags);

    /// <summary>Untouched datasets: must read exactly.</summary>
    public static Gen<MegatronCase> Valid => Base.Select(b => Case("mmidx-valid", b.ToString(), b, b.Idx, b.Bin, Expect.Accept));

    /// <summary>The index cut short: must be refused.</summary>
    public static Gen<MegatronCase> IdxTruncated =>
        from b in Base
        from at in Gen.Double.Unit
        let idx = b.Idx
        let cut = (int)(at * idx.Length)
        select Case("mmidx-idx-truncated", $"{b}; .idx cut at {cut} of {idx.Length}", b, idx[..cut], b.Bin, Expect.RefuseInvalid);

    /// <summary>The data file cut short: refused when a sequence then runs past its end or it is not whole items.</summary>
    public static Gen<MegatronCase> BinTruncated =>
        from b in Base
        from at in Gen.Double.Unit
        let cut = (int)(at * b.Bin.Length)
        select Case("mmidx-bin-truncated", $"{b}; .bin cut at {cut}", b, b.Idx, b.Bin[..cut], Expect.AnyDocumented);

    /// <summary>One to four bytes of the magic, version, dtype code or counts overwritten.</summary>
    public static Gen<MegatronCase> HeaderBytes =>
        from b in Base
        from edits in Gen.Select(Gen.Int[0, MegatronBaseFile.HeaderSize - 1], NpyGen.InterestingByte).Array[1, 4]
        select Edit("mmidx-header-bytes", b, edits);

    /// <summary>One to four bytes of the lengths, pointers, document indices or modes overwritten.</summary>
    public static Gen<MegatronCase> BodyBytes =>
        from b in Base
        from edits in Gen.Select(Gen.Double.Unit, NpyGen.InterestingByte).Array[1, 4]
        let body = b.Idx.Length - MegatronBaseFile.HeaderSize
        select Edit("mmidx-body-bytes", b, body == 0 ? Array.Empty<(int, byte)>() : edits.Select(e => (MegatronBaseFile.HeaderSize + (int)(e.Item1 * body), e.Item2)).ToArray());

    /// <summary>One field set to a lie: a count, a length, a pointer or a document index, to 0, ±1 of its value, a power of two,
    /// a sign flip, a misaligned pointer or a huge value.</summary>
    public static Gen<MegatronCase> LyingField =>
        from b in Base
        from target in Gen.Int[0, 4]
        from which in Gen.Double.Unit
        from kind in Gen.Int[0, 3]
        from pick in Gen.Int[0, s_interesting.Length - 1]
        select Lie(b, target, which, kind, s_interesting[pick]);

    /// <summary>Bytes added after the index (never valid: its length is fixed by the counts) or after the data.</summary>
    public static Gen<MegatronCase> Extended =>
        from b in Base
        from toIdx in Gen.Bool
        from junk in Gen.Byte.Array[1, 16]
        select toIdx
            ? Case("mmidx-extended", $"{b}; {junk.Length} bytes after the .idx", b, [.. b.Idx, .. junk], b.Bin, Expect.RefuseInvalid)
            : Case("mmidx-extended", $"{b}; {junk.Length} bytes after the .bin", b, b.Idx, [.. b.Bin, .. junk], Expect.AnyDocumented);

    /// <summary>A valid dataset opened with the other convention or the other <c>multimodal</c> flag.</summary>
    public static Gen<MegatronCase> WrongFlags =>
        from b in Base
        from flipModes in Gen.Bool
        let convention = flipModes ? b.Convention : b.Convention == IndexedDatasetConvention.Megatron ? IndexedDatasetConvention.GptNeoX : IndexedDatasetConvention.Megatron
        let multimodal = flipModes ? !b.Multimodal : b.Multimodal
        select new MegatronCase("mmidx-wrong-flags", $"{b}; opened as {convention}{(multimodal ? ", multimodal" : "")}", b.Idx, b.Bin, convention, multimodal, Expect.AnyDocumented);

    private static MegatronBaseFile Build(byte code, IndexedDatasetConvention convention, bool multimodal, int[] perDocument, int[] lengths, bool scattered, int slack, double[] places, sbyte[] modes, int seed)
    {
        bool neox = convention == IndexedDatasetConvention.GptNeoX;
        int size = code switch { 1 or 2 => 1, 3 or 8 => 2, 4 => 4, 5 => 8, 6 => neox ? 4 : 8, _ => neox ? 8 : 4 };
        long items = Math.Max(1, lengths.Sum() + slack);   // never an empty data file, which np.memmap cannot map
        long[] pointers = new long[lengths.Length];
        long next = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            // One after another as Megatron writes them, or anywhere they fit (sequences may then overlap: still valid).
            long item = scattered ? (long)(places[i] * (items - lengths[i] + 1)) : next;
            pointers[i] = item * size;
            next += lengths[i];
        }
        long[] documents = new long[perDocument.Length + 1];
        for (int d = 0; d < perDocument.Length; d++)
            documents[d + 1] = documents[d] + perDocument[d];
        byte[] bin = new byte[items * size];
        new Random(seed).NextBytes(bin);
        return new MegatronBaseFile(code, convention, multimodal, lengths, pointers, documents, modes, bin);
    }

    private static MegatronCase Case(string family, string description, MegatronBaseFile b, byte[] idx, byte[] bin, Expect expect) =>
        new(family, description, idx, bin, b.Convention, b.Multimodal, expect);

    private static MegatronCase Edit(string family, MegatronBaseFile b, (int At, byte Value)[] edits)
    {
        byte[] idx = b.Idx;
        foreach ((int at, byte value) in edits)
            idx[at] = value;
        return Case(family, $"{b}; bytes {string.Join(", ", edits.Select(e => $"[{e.At}]={e.Value:X2}"))}", b, idx, b.Bin, Expect.AnyDocumented);
    }

    // target: 0 sequence count, 1 document-index count, 2 a length, 3 a pointer, 4 a document index.
    // kind: 0 the interesting value, 1 true + 1, 2 true - 1, 3 the true value + the interesting one.
    private static MegatronCase Lie(MegatronBaseFile b, int target, double which, int kind, long interesting)
    {
        byte[] idx = b.Idx;
        int s = b.Lengths.Length;
        (int at, int width, string name) = target switch
        {
            0 => (18, 8, "sequence count"),
            1 => (26, 8, "document-index count"),
            2 when s > 0 => (34 + 4 * (int)(which * s), 4, "a length"),
            3 when s > 0 => (34 + 4 * s + 8 * (int)(which * s), 8, "a pointer"),
            _ => (34 + 12 * s + 8 * (int)(which * b.Documents.Length), 8, "a document index"),
        };
        long current = width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(idx.AsSpan(at)) : BinaryPrimitives.ReadInt64LittleEndian(idx.AsSpan(at));
        long value = kind switch
        {
            0 => interesting,
            1 => current + 1,
            2 => current - 1,
            _ => unchecked(current + interesting),
        };
        if (width == 4)
            BinaryPrimitives.WriteInt32LittleEndian(idx.AsSpan(at), unchecked((int)value));
        else
            BinaryPrimitives.WriteInt64LittleEndian(idx.AsSpan(at), value);
        return Case("mmidx-lying-field", $"{b}; {name} at byte {at} set from {current} to {(width == 4 ? unchecked((int)value) : value)}", b, idx, b.Bin, Expect.AnyDocumented);
    }
}
