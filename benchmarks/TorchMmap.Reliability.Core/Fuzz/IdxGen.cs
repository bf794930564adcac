using System.Buffers.Binary;
using System.IO.Compression;
using CsCheck;
using TorchMmap.Idx;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>CsCheck generators of IDX fuzz cases: valid files of every element type, plain and gzip'd, and their damage.</summary>
public static class IdxGen
{
    private static readonly uint[] s_hugeDims = [0x7FFFFFFF, 0x7FFFFFFE, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE];

    /// <summary>A valid file of any element type and rank 1 to 4, small dimensions (zeros included), random data.</summary>
    public static Gen<IdxBaseFile> Base { get; } =
        from type in Gen.Int[0, IdxBaseFile.Types.Count - 1].Select(i => IdxBaseFile.Types[i])
        from dims in Gen.Int[1, 4].SelectMany(rank => Gen.Int[0, 5].Array[rank])
        from data in Gen.Byte.Array[dims.Aggregate(1, (a, d) => a * d) * type.Size]
        select new IdxBaseFile(type.Code, dims, data);

    /// <summary>Conversion options: channel axis, label widening and chunk sizes down to one byte.</summary>
    public static Gen<IdxConversionOptions> Options { get; } =
        from channel in Gen.Bool
        from widen in Gen.Bool
        from chunk in Gen.OneOfConst(1, 3, 7, 64, 1 << 20)
        select new IdxConversionOptions { InsertChannelAxis = channel, WidenLabelsToInt64 = widen, ChunkBytes = chunk };

    /// <summary>Every family, equally often.</summary>
    public static Gen<IdxCase> Any => Gen.OneOf(Valid, Truncated, GzipTruncated, HeaderBytes, HugeDims, Overflow, ZeroDims, TrailingJunk, HighRank);

    /// <summary>Unchanged valid files, plain or gzip'd: must convert exactly.</summary>
    public static Gen<IdxCase> Valid =>
        from b in Base
        from gzip in Gen.Bool
        from o in Options
        select Case("idx-valid", b.ToString(), b.Bytes, gzip, o);

    /// <summary>Files cut short at a random offset (before compression, for gzip'd ones): must be refused.</summary>
    public static Gen<IdxCase> Truncated =>
        from b in Base
        from at in Gen.Double.Unit
        from gzip in Gen.Bool
        from o in Options
        let cut = (int)(at * b.Bytes.Length)
        select Case("idx-truncated", $"{b} cut at {cut} of {b.Bytes.Length}", b.Bytes[..cut], gzip, o);

    /// <summary>Gzip streams cut at a random offset: refused, or (when only the trailer went) converted as the original.</summary>
    public static Gen<IdxCase> GzipTruncated =>
        from b in Base
        from at in Gen.Double.Unit
        from o in Options
        select GzipCut(b, at, o);

    /// <summary>One to four bytes of the magic, type code, rank or dimensions overwritten.</summary>
    public static Gen<IdxCase> HeaderBytes =>
        from b in Base
        from edits in Gen.Select(Gen.Double.Unit, NpyGen.InterestingByte).Array[1, 4]
        from gzip in Gen.Bool
        from o in Options
        select EditHeader(b, edits, gzip, o);

    /// <summary>One dimension replaced by a huge or negative 32-bit value.</summary>
    public static Gen<IdxCase> HugeDims =>
        from b in Base
        from dim in Gen.Int[0, 3]
        from value in Gen.Int[0, s_hugeDims.Length - 1].Select(i => s_hugeDims[i])
        from gzip in Gen.Bool
        from o in Options
        select SetDim(b, dim % b.Dims.Length, value, gzip, o);

    /// <summary>Headers whose dimensions multiply past 64 bits, sometimes with a zero first dimension.</summary>
    public static Gen<IdxCase> Overflow =>
        from type in Gen.Int[0, IdxBaseFile.Types.Count - 1].Select(i => IdxBaseFile.Types[i])
        from dims in Gen.Int[3, 8].SelectMany(rank => Gen.Int[0x10000, int.MaxValue].Array[rank])
        from zeroFirst in Gen.Bool
        from data in Gen.Byte.Array[0, 32]
        from gzip in Gen.Bool
        from o in Options
        select OverflowCase(type.Code, dims, zeroFirst, data, gzip, o);

    /// <summary>A rank byte of zero, or a zero dimension (with the data trimmed to match, or not).</summary>
    public static Gen<IdxCase> ZeroDims =>
        from b in Base
        from which in Gen.Int[0, 2]
        from dim in Gen.Int[0, 3]
        from gzip in Gen.Bool
        from o in Options
        select ZeroCase(b, which, dim % b.Dims.Length, gzip, o);

    /// <summary>Bytes after the data, inside the IDX content or after the gzip member.</summary>
    public static Gen<IdxCase> TrailingJunk =>
        from b in Base
        from extra in Gen.Byte.Array[1, 64]
        from place in Gen.Int[0, 2]
        from o in Options
        select Junk(b, extra, place, o);

    /// <summary>Ranks of 5 to 255 (the rank byte's limit) with dimensions of 0 to 2, data matching or one byte off.</summary>
    public static Gen<IdxCase> HighRank =>
        from type in Gen.Int[0, IdxBaseFile.Types.Count - 1].Select(i => IdxBaseFile.Types[i])
        from dims in Gen.Int[5, 255].SelectMany(rank => Gen.Frequency((8, Gen.Const(1)), (1, Gen.Const(0)), (1, Gen.Const(2))).Array[rank])
        from off in Gen.Int[-1, 1]
        from gzip in Gen.Bool
        from o in Options
        select HighRankCase(type, dims, off, gzip, o);

    private static IdxCase HighRankCase((byte Code, int Size) type, int[] dims, int off, bool gzip, IdxConversionOptions o)
    {
        // Past 2^20 elements the case would be slow, not interesting: twos beyond that become ones.
        for (int i = 0, twos = 0; i < dims.Length; i++)
            if (dims[i] == 2 && ++twos > 20)
                dims[i] = 1;
        long elements = dims.Aggregate(1L, (a, d) => a * d);
        byte[] data = new byte[Math.Max(0, elements * type.Size + off)];
        new Random(dims.Length).NextBytes(data);
        var b = new IdxBaseFile(type.Code, dims, data);
        return Case("idx-high-rank", $"type 0x{type.Code:X2}, rank {dims.Length}, {elements} elements, {data.Length} data bytes", b.Bytes, gzip, o);
    }

    private static IdxCase Case(string family, string description, byte[] content, bool gzip, IdxConversionOptions o) =>
        new(family, description + (gzip ? ", gzip'd" : ""), gzip ? Gzip(content) : content, content,
            IdxDecoder.Decode(content, o) is null ? Expect.RefuseAny : Expect.Accept, o);

    private static IdxCase GzipCut(IdxBaseFile b, double at, IdxConversionOptions o)
    {
        byte[] zipped = Gzip(b.Bytes);
        int cut = (int)(at * zipped.Length);
        return new IdxCase("idx-gzip-truncated", $"{b} gzip'd, cut at {cut} of {zipped.Length}", zipped[..cut], b.Bytes, Expect.AnyDocumented, o);
    }

    private static IdxCase EditHeader(IdxBaseFile b, (double At, byte Value)[] edits, bool gzip, IdxConversionOptions o)
    {
        byte[] bytes = (byte[])b.Bytes.Clone();
        var described = new List<string>();
        foreach ((double at, byte value) in edits)
        {
            int offset = (int)(at * b.HeaderLength);
            bytes[offset] = value;
            described.Add($"[{offset}]={value:X2}");
        }
        return Case("idx-header-bytes", $"{b} with {string.Join(' ', described)}", bytes, gzip, o);
    }

    private static IdxCase SetDim(IdxBaseFile b, int dim, uint value, bool gzip, IdxConversionOptions o)
    {
        byte[] bytes = (byte[])b.Bytes.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * dim), value);
        return Case("idx-huge-dims", $"{b} with dimension {dim} = 0x{value:X8}", bytes, gzip, o);
    }

    private static IdxCase OverflowCase(byte type, int[] dims, bool zeroFirst, byte[] data, bool gzip, IdxConversionOptions o)
    {
        if (zeroFirst)
            dims[0] = 0;
        var b = new IdxBaseFile(type, dims, data);
        return Case("idx-overflow", $"{b} + {data.Length} data bytes", b.Bytes, gzip, o);
    }

    private static IdxCase ZeroCase(IdxBaseFile b, int which, int dim, bool gzip, IdxConversionOptions o)
    {
        if (which == 0)
        {
            byte[] bytes = (byte[])b.Bytes.Clone();
            bytes[3] = 0;
            return Case("idx-zero-dims", $"{b} with rank byte 0", bytes, gzip, o);
        }
        int[] dims = (int[])b.Dims.Clone();
        dims[dim] = 0;
        // which 1: the data trimmed to the empty shape (valid); which 2: the old data left behind (junk).
        var z = new IdxBaseFile(b.TypeCode, dims, which == 1 ? [] : b.Data);
        return Case("idx-zero-dims", $"{z} from {b}{(which == 2 ? $" keeping {b.Data.Length} data bytes" : "")}", z.Bytes, gzip, o);
    }

    private static IdxCase Junk(IdxBaseFile b, byte[] extra, int place, IdxConversionOptions o)
    {
        if (place < 2)
            return Case("idx-trailing-junk", $"{b} + {extra.Length} bytes", [.. b.Bytes, .. extra], place == 1, o);
        return new IdxCase("idx-trailing-junk", $"{b} gzip'd + {extra.Length} bytes after the gzip member", [.. Gzip(b.Bytes), .. extra], b.Bytes, Expect.AnyDocumented, o);
    }

    private static byte[] Gzip(byte[] content)
    {
        using var memory = new MemoryStream();
        using (var zip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(content);
        return memory.ToArray();
    }
}
