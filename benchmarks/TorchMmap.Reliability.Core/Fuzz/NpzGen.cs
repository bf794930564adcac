using System.Buffers.Binary;
using CsCheck;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>CsCheck generators of .npz fuzz cases: valid archives, truncation, damaged zip records, lying sizes and offsets,
/// and damaged .npy headers inside stored entries.</summary>
public static class NpzGen
{
    // (record, offset within it, width) of every size, offset and count field a reader trusts.
    private static readonly (char Record, int Offset, int Width)[] s_fields =
    [
        ('c', 20, 4), ('c', 24, 4), ('c', 42, 4), ('c', 28, 2), ('c', 10, 2), ('c', 8, 2),
        ('l', 18, 4), ('l', 22, 4), ('l', 26, 2), ('l', 28, 2), ('l', 8, 2),
        ('e', 8, 2), ('e', 10, 2), ('e', 12, 4), ('e', 16, 4), ('e', 20, 2),
    ];

    /// <summary>A valid archive.</summary>
    public static Gen<NpzBaseFile> Base { get; } =
        from count in Gen.Int[1, 3]
        from files in NpyGen.Base.Array[count]
        from deflate in Gen.Bool.Array[count]
        select new NpzBaseFile(files.Select((f, i) => ($"arr_{i}", f, deflate[i])).ToArray());

    /// <summary>Every family, equally often.</summary>
    public static Gen<NpzCase> Any => Gen.OneOf(Valid, Truncated, StructureBytes, LyingFields, EntryHeader, Ambiguous);

    /// <summary>
    /// Archives zip readers can read more than one way, read as Python's zipfile reads them for <c>np.load</c>: a name
    /// given twice (the later entry counts), <c>x</c> beside <c>x.npy</c> (<c>x</c> counts), an entry named <c>.npy</c>
    /// (the key <c>''</c>), a second archive inside the end record's comment followed by a stray byte (the inner archive
    /// counts), and data before the archive.
    /// </summary>
    public static Gen<NpzCase> Ambiguous =>
        from kind in Gen.Int[0, 4]
        from files in NpyGen.Base.Array[3]
        from deflate in Gen.Bool.Array[3]
        from junk in Gen.Byte.Array[1, 200]
        select MakeAmbiguous(kind, files, deflate, junk);

    /// <summary>Unchanged archives.</summary>
    public static Gen<NpzCase> Valid => Base.Select(b => new NpzCase("npz-valid", "unchanged", b.Bytes, Expect.Accept, b, true));

    /// <summary>Archives cut short: the end record is lost, so they must be refused as malformed.</summary>
    public static Gen<NpzCase> Truncated =>
        from b in Base
        from at in Gen.Double.Unit
        let cut = (int)(at * b.Bytes.Length)
        select new NpzCase("npz-truncated", $"cut at {cut} of {b.Bytes.Length}", b.Bytes[..cut], Expect.RefuseInvalid, b, true);

    /// <summary>One to three bytes of the zip records overwritten.</summary>
    public static Gen<NpzCase> StructureBytes =>
        from b in Base
        from edits in Gen.Select(Gen.Double.Unit, NpyGen.InterestingByte).Array[1, 3]
        select EditStructure(b, edits);

    /// <summary>A size, offset or count field set to a lie: off by one or 64, zero, saturated, or random.</summary>
    public static Gen<NpzCase> LyingFields =>
        from b in Base
        from fieldIndex in Gen.Int[0, s_fields.Length - 1]
        from entry in Gen.Int[0, 2]
        from kind in Gen.Int[0, 7]
        from random in Gen.UInt
        select Lie(b, fieldIndex, entry, kind, random);

    /// <summary>Bytes of the .npy header inside a stored entry overwritten: the entry must read consistently or be refused.</summary>
    public static Gen<NpzCase> EntryHeader =>
        from b in Base
        from entry in Gen.Int[0, 2]
        from edits in Gen.Select(Gen.Double.Unit, NpyGen.InterestingByte).Array[1, 3]
        select EditEntry(b, entry, edits);

    private static NpzCase MakeAmbiguous(int kind, NpyBaseFile[] f, bool[] d, byte[] junk)
    {
        NpzBaseFile archive;
        Dictionary<string, NpyBaseFile> reads;
        byte[] bytes;
        string description;
        switch (kind)
        {
            case 0:
                archive = new NpzBaseFile([("a.npy", f[0], d[0]), ("b.npy", f[1], d[1]), ("a.npy", f[2], d[2])], entryNames: true);
                reads = new() { ["a"] = f[2], ["b"] = f[1] };
                (bytes, description) = (archive.Bytes, "a.npy, b.npy, a.npy again");
                break;
            case 1:
                archive = new NpzBaseFile([("a.npy", f[0], d[0]), ("a", f[1], d[1])], entryNames: true);
                reads = new() { ["a"] = f[1] };
                (bytes, description) = (archive.Bytes, "a.npy and a");
                break;
            case 2:
                archive = new NpzBaseFile([(".npy", f[0], d[0]), ("b.npy", f[1], d[1])], entryNames: true);
                reads = new() { [""] = f[0], ["b"] = f[1] };
                (bytes, description) = (archive.Bytes, ".npy (the key '') and b.npy");
                break;
            case 3:
                var inner = new NpzBaseFile([("inner", f[0], d[0])]);
                archive = new NpzBaseFile([("outer", f[1], d[1])]);
                if (inner.Bytes.Length > ushort.MaxValue)
                    goto default;
                // The outer archive's end record gets the inner archive as its comment; one byte follows.
                bytes = [.. archive.Bytes, .. inner.Bytes, junk[0]];
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(archive.Eocd + 20), (ushort)inner.Bytes.Length);
                reads = new() { ["inner"] = f[0] };
                description = "an archive in the comment of another, then a stray byte";
                break;
            default:
                archive = new NpzBaseFile([("a", f[0], d[0]), ("b", f[1], d[1])]);
                bytes = [.. junk, .. archive.Bytes];
                reads = new() { ["a"] = f[0], ["b"] = f[1] };
                description = $"{junk.Length} bytes before the archive";
                break;
        }
        return new NpzCase("npz-ambiguous", description, bytes, Expect.Accept, archive, false) { NumPyReads = reads };
    }

    private static NpzCase EditStructure(NpzBaseFile b, (double At, byte Value)[] edits)
    {
        (int Start, int Length)[] ranges = b.StructureRanges().ToArray();
        int total = ranges.Sum(r => r.Length);
        byte[] bytes = (byte[])b.Bytes.Clone();
        var described = new List<string>();
        foreach ((double at, byte value) in edits)
        {
            int k = (int)(at * total);
            int r = 0;
            while (k >= ranges[r].Length)
                k -= ranges[r++].Length;
            bytes[ranges[r].Start + k] = value;
            described.Add($"[{ranges[r].Start + k}]={value:X2}");
        }
        // An edit inside an entry name may rename the entry legitimately (the same byte written into both copies of the
        // name, or a name only the directory holds): the names read are then not the original ones.
        bool namesIntact = !described.Select(d => int.Parse(d[1..d.IndexOf(']')], System.Globalization.CultureInfo.InvariantCulture)).Any(b.InName);
        return new NpzCase("npz-structure-bytes", string.Join(' ', described), bytes, Expect.AnyDocumented, b, namesIntact);
    }

    private static NpzCase Lie(NpzBaseFile b, int field, int entry, int kind, uint random)
    {
        (char record, int offset, int width) = s_fields[field];
        entry %= b.Entries.Count;
        int at = record switch
        {
            'c' => b.Central[entry],
            'l' => b.Local[entry],
            _ => b.Eocd,
        } + offset;
        byte[] bytes = (byte[])b.Bytes.Clone();
        long real = width == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
        long lie = kind switch
        {
            0 => 0,
            1 => real - 1,
            2 => real + 1,
            3 => real + 64,
            4 => real - 64,
            5 => width == 2 ? 0xFFFF : 0xFFFFFFFF,
            6 => width == 2 ? 0x7FFF : 0x7FFFFFFF,
            _ => random,
        };
        if (width == 2)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), (ushort)lie);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)lie);
        return new NpzCase("npz-lying-field", $"{record}-record field +{offset} of entry {entry} at {at}: {real} -> {(width == 2 ? (ushort)lie : (uint)lie)}", bytes, Expect.AnyDocumented, b, true);
    }

    private static NpzCase EditEntry(NpzBaseFile b, int entry, (double At, byte Value)[] edits)
    {
        entry %= b.Entries.Count;
        byte[] bytes = (byte[])b.Bytes.Clone();
        (_, NpyBaseFile file, bool deflate) = b.Entries[entry];
        if (deflate)
            return new NpzCase("npz-entry-header", "unchanged (the chosen entry is deflated)", bytes, Expect.Accept, b, true);
        int start = b.DataOffset(entry);
        var described = new List<string>();
        foreach ((double at, byte value) in edits)
        {
            int k = start + (int)(at * file.DataOffset);
            bytes[k] = value;
            described.Add($"[{k}]={value:X2}");
        }
        return new NpzCase("npz-entry-header", $"entry {entry}: {string.Join(' ', described)}", bytes, Expect.AnyDocumented, b, false);
    }
}
