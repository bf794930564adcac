using System.Buffers.Binary;
using TorchMmap.Format;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Format;

/// <summary>Reading an .npz directory, and refusing damaged or unsupported archives with the archive's path in the message.</summary>
public sealed class NpzArchiveTests : IDisposable
{
    private const uint CentralSignature = 0x02014b50;
    private const uint LocalSignature = 0x04034b50;

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-npz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteArchive(bool compress = false)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".npz");
        using Tensor x = arange(10, dtype: ScalarType.Int32);
        using Tensor y = zeros(2, 2);
        Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y }, compress);
        return path;
    }

    // The offset of the first record with this signature.
    private static int Find(byte[] bytes, uint signature)
    {
        for (int i = 0; i + 4 <= bytes.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) == signature)
                return i;
        }
        throw new InvalidOperationException("Signature not found.");
    }

    private static void Patch16(byte[] bytes, int at, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), value);

    [Fact]
    public void Read_SavedArchive_ListsEntriesWithNamesSizesAndOffsets()
    {
        string path = WriteArchive();
        NpzArchive archive = NpzArchive.Read(path);
        Assert.Equal(path, archive.Path);
        Assert.Equal(new[] { "x", "y" }, archive.Entries.Select(e => e.ArrayName));
        Assert.Equal(new[] { "x.npy", "y.npy" }, archive.Entries.Select(e => e.EntryName));
        byte[] bytes = File.ReadAllBytes(path);
        foreach (NpzEntry entry in archive.Entries)
        {
            Assert.True(entry.IsStored);
            Assert.Equal(entry.Size, entry.CompressedSize);
            // The entry's bytes are a whole .npy file in place.
            NpyHeader header = NpyHeader.Parse(bytes.AsSpan((int)entry.DataOffset, (int)entry.Size), entry.EntryName, isWholeFile: true);
            Assert.Equal(entry.Size, header.DataOffset + header.DataLength);
        }
        Assert.Same(archive.Entries[1], archive.Find("y.npy"));
        Assert.Throws<KeyNotFoundException>(() => archive.Find("z"));
    }

    public static TheoryData<string, Type> Damages => new()
    {
        { "empty", typeof(InvalidDataException) },
        { "not a zip", typeof(InvalidDataException) },
        { "end record cut off", typeof(InvalidDataException) },
        { "directory offset past the end", typeof(InvalidDataException) },
        { "local header offset past the end", typeof(InvalidDataException) },
        { "no local header where the directory points", typeof(InvalidDataException) },
        { "methods disagree", typeof(InvalidDataException) },
        { "bzip2 method", typeof(NotSupportedException) },
        { "encrypted", typeof(NotSupportedException) },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void Read_DamagedArchive_IsRefusedNamingTheArchive(string damage, Type expected)
    {
        string path = WriteArchive();
        byte[] bytes = File.ReadAllBytes(path);
        int central = Find(bytes, CentralSignature);
        int local = Find(bytes, LocalSignature);
        int end = bytes.Length - 22;
        byte[] damaged = damage switch
        {
            "empty" => [],
            "not a zip" => System.Text.Encoding.ASCII.GetBytes(new string('z', 100)),
            "end record cut off" => bytes[..^10],
            _ => (byte[])bytes.Clone(),
        };
        switch (damage)
        {
            case "directory offset past the end":
                BinaryPrimitives.WriteUInt32LittleEndian(damaged.AsSpan(end + 16), (uint)bytes.Length);
                break;
            case "local header offset past the end":
                BinaryPrimitives.WriteUInt32LittleEndian(damaged.AsSpan(central + 42), (uint)bytes.Length - 10);
                break;
            case "no local header where the directory points":
                BinaryPrimitives.WriteUInt32LittleEndian(damaged.AsSpan(central + 42), 7);
                break;
            case "methods disagree":
                Patch16(damaged, local + 8, 8);
                break;
            case "bzip2 method":
                Patch16(damaged, central + 10, 12);
                Patch16(damaged, local + 8, 12);
                break;
            case "encrypted":
                Patch16(damaged, central + 8, 1);
                break;
        }
        File.WriteAllBytes(path, damaged);

        Exception ex = Assert.Throws(expected, () => NpzArchive.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Throws(expected, () => Npy.LoadNpz(path));
    }

    [Fact]
    public void Read_DeflatedEntryDeclaringMoreThanDeflateCanHold_ThrowsNamingTheFile()
    {
        string path = WriteArchive(compress: true);
        byte[] bytes = File.ReadAllBytes(path);
        int central = Find(bytes, CentralSignature);
        long compressed = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(central + 20));
        // Deflate's densest code inflates n bytes to at most 1032 n: this size cannot be true of so few bytes.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 24), uint.MaxValue - 1);
        File.WriteAllBytes(path, bytes);
        Assert.True(compressed < 1000, $"the entry is {compressed} bytes compressed");
        var e = Assert.Throws<InvalidDataException>(() => NpzArchive.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("1032", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
    }

    [Fact]
    public void LoadNpz_DeflatedEntryFailingItsCrc_ThrowsNamingTheArchiveAndEntry()
    {
        string path = WriteArchive(compress: true);
        byte[] bytes = File.ReadAllBytes(path);
        int central = Find(bytes, CentralSignature);
        bytes[central + 16] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("CRC-32", e.Message, StringComparison.Ordinal);
        // The one entry reader the npy tool uses too reports the same at the end of the entry.
        NpzEntry entry = NpzArchive.Read(path).Entries[0];
        using Stream stream = entry.OpenRead();
        var again = Assert.Throws<InvalidDataException>(() => stream.CopyTo(Stream.Null));
        Assert.Equal(e.Message, again.Message);
    }

    [Fact]
    public void NpyLoad_ArchiveOfOneArray_LoadsItAndOfSeveral_NamesThem()
    {
        string one = Path.Combine(_dir, "one.npz");
        using (Tensor x = arange(4, dtype: ScalarType.Int64))
            Npy.SaveNpz(one, new Dictionary<string, Tensor> { ["x"] = x });
        using (Tensor back = Npy.Load(one))
            Assert.Equal(new long[] { 0, 1, 2, 3 }, back.data<long>().ToArray());
        string several = WriteArchive();
        var e = Assert.Throws<InvalidOperationException>(() => Npy.Load(several));
        Assert.Contains(several, e.Message, StringComparison.Ordinal);
        Assert.Contains("'x', 'y'", e.Message, StringComparison.Ordinal);
    }
}
