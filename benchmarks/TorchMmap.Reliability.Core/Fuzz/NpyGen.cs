using System.Buffers.Binary;
using CsCheck;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>CsCheck generators of .npy fuzz cases: valid files and six families of damage.</summary>
public static class NpyGen
{
    private static readonly byte[] s_interestingBytes =
    [
        0x00, 0xFF, 0x80, 0xE9, 0xC3, (byte)'\'', (byte)'"', (byte)'{', (byte)'}', (byte)'(', (byte)')', (byte)',', (byte)':',
        (byte)'-', (byte)'9', (byte)'0', (byte)' ', (byte)'\n', (byte)'\t', (byte)'<', (byte)'>', (byte)'|', (byte)'[', (byte)'L',
    ];

    /// <summary>Any supported dtype.</summary>
    public static Gen<FuzzDType> DType { get; } = Gen.Int[0, FuzzDType.Supported.Count - 1].Select(i => FuzzDType.Supported[i]);

    /// <summary>Small shapes of rank 0 to 3, zero dimensions included.</summary>
    public static Gen<long[]> SmallShape { get; } = Gen.Int[0, 3].SelectMany(rank => Gen.Long[0, 4].Array[rank]);

    /// <summary>A valid file of any supported dtype, version and order, with random data.</summary>
    public static Gen<NpyBaseFile> Base { get; } =
        from dtype in DType
        from shape in SmallShape
        from fortran in Gen.Bool
        from version in Gen.Int[1, 3]
        from data in Gen.Byte.Array[(int)(shape.Aggregate(1L, (a, d) => a * d) * dtype.ItemSize)]
        select new NpyBaseFile(new NpyLayoutSpec(dtype, shape, fortran), version, data);

    /// <summary>Bytes biased towards the ones that matter in a header.</summary>
    public static Gen<byte> InterestingByte { get; } = Gen.Frequency((1, Gen.Byte), (1, Gen.Int[0, s_interestingBytes.Length - 1].Select(i => s_interestingBytes[i])));

    /// <summary>Every family, equally often.</summary>
    public static Gen<NpyCase> Any => Gen.OneOf(Valid, Truncated, Extended, HeaderBytes, Preamble, NpyDictGen.Case);

    /// <summary>Unchanged valid files: must read exactly.</summary>
    public static Gen<NpyCase> Valid => Base.Select(b => new NpyCase("valid", b.ToString(), b.Bytes, Expect.Accept, b.Layout));

    /// <summary>Files cut short at a random offset: must be refused as malformed.</summary>
    public static Gen<NpyCase> Truncated =>
        from b in Base
        from at in Gen.Double.Unit
        let cut = (int)(at * b.Bytes.Length)
        select new NpyCase("truncated", $"{b} cut at {cut} of {b.Bytes.Length}", b.Bytes[..cut], Expect.RefuseInvalid, null);

    /// <summary>Files with junk after the data: NumPy ignores it, so they must read as the original.</summary>
    public static Gen<NpyCase> Extended =>
        from b in Base
        from extra in Gen.Byte.Array[1, 64]
        select new NpyCase("extended", $"{b} + {extra.Length} bytes", [.. b.Bytes, .. extra], Expect.Accept, b.Layout);

    /// <summary>One to four header bytes overwritten: refused, or read consistently with whatever header now parses.</summary>
    public static Gen<NpyCase> HeaderBytes =>
        from b in Base
        from edits in Gen.Select(Gen.Double.Unit, InterestingByte).Array[1, 4]
        select Edit(b, edits);

    /// <summary>Preamble numbers replaced: the header length or the version.</summary>
    public static Gen<NpyCase> Preamble =>
        from b in Base
        from which in Gen.Int[0, 10]
        from random in Gen.UInt
        from version in Gen.OneOfConst<byte>(0, 1, 2, 3, 4, 0xFF)
        select PreambleCase(b, which, random, version);

    private static NpyCase Edit(NpyBaseFile b, (double At, byte Value)[] edits)
    {
        byte[] bytes = (byte[])b.Bytes.Clone();
        var described = new List<string>();
        foreach ((double at, byte value) in edits)
        {
            int offset = (int)(at * b.DataOffset);
            described.Add($"[{offset}]={value:X2}");
            bytes[offset] = value;
        }
        return new NpyCase("header-bytes", $"{b} with {string.Join(' ', described)}", bytes, Expect.AnyDocumented, null);
    }

    private static NpyCase PreambleCase(NpyBaseFile b, int which, uint random, byte version)
    {
        byte[] bytes = (byte[])b.Bytes.Clone();
        if (which == 10)
        {
            bytes[6] = version;
            return new NpyCase("preamble", $"{b} with version byte {version}", bytes, Expect.AnyDocumented, null);
        }
        long real = b.DataOffset - (b.Version == 1 ? 10 : 12);
        long value = which switch
        {
            0 => 0,
            1 => 1,
            2 => real - 1,
            3 => real + 1,
            4 => real - 64,
            5 => real + 64,
            6 => 0xFFFF,
            7 => 0x7FFFFFFF,
            8 => 0xFFFFFFFF,
            _ => random,
        };
        if (b.Version == 1)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)value);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)value);
        return new NpyCase("preamble", $"{b} with header length {(b.Version == 1 ? (ushort)value : (uint)value)} (real {real})", bytes, Expect.AnyDocumented, null);
    }
}
