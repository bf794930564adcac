using System.Buffers.Binary;
using TorchMmap.Format;
using TorchMmap.Reliability.Fuzz;

namespace TorchMmap.Tests.Hardening;

/// <summary>The CI subset of the .npz fuzzing, and the archive bugs it found.</summary>
public sealed class NpzFuzzTests
{
    [Fact]
    public void LoadNpz_GeneratedArchives_ReadExactlyOrAreRefusedWithDocumentedTypes()
    {
        FuzzStats stats = FuzzSubset.Run(NpzGen.Any, 720, seed: 4242, NpzProperty.Check);

        Assert.Equal(720, stats.Total);
        foreach (string family in new[] { "npz-valid", "npz-truncated", "npz-structure-bytes", "npz-lying-field", "npz-entry-header", "npz-ambiguous" })
            Assert.True(stats.Count(family) > 60, $"{family}: {stats.Count(family)} cases");
        Assert.Equal(stats.Count("npz-valid"), stats.Count("npz-valid", "read"));
        Assert.Equal(stats.Count("npz-ambiguous"), stats.Count("npz-ambiguous", "read"));
        Assert.Equal(stats.Count("npz-truncated"), stats.Count("npz-truncated", "InvalidData"));
    }

    [Fact]
    public void Read_CentralDirectoryNameDiffersFromLocalHeader_ThrowsInvalidData()
    {
        NpzBaseFile archive = TwoStoredArrays();
        byte[] bytes = (byte[])archive.Bytes.Clone();
        bytes[archive.Central[0] + 46 + 4] = (byte)'9';   // arr_0.npy -> arr_9.npy in the directory only

        AssertRefused(bytes, "names a different entry");
    }

    [Fact]
    public void Read_EndRecordCountsFewerEntriesThanTheDirectoryHolds_ThrowsInvalidData()
    {
        NpzBaseFile archive = TwoStoredArrays();
        byte[] bytes = (byte[])archive.Bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(archive.Eocd + 10), 1);

        AssertRefused(bytes, "counts 1 entries");
    }

    private static NpzBaseFile TwoStoredArrays()
    {
        FuzzDType f4 = FuzzDType.Supported.Single(d => d.Descr == "<f4");
        var a = new NpyBaseFile(new NpyLayoutSpec(f4, [2, 2], false), 1, new byte[16]);
        return new NpzBaseFile([("arr_0", a, false), ("arr_1", a, false)]);
    }

    private static void AssertRefused(byte[] bytes, string reason)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-npz-");
        try
        {
            string path = Path.Combine(dir.FullName, "a.npz");
            File.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<InvalidDataException>(() => NpzArchive.Read(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
