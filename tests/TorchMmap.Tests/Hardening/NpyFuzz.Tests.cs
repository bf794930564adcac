using TorchMmap.Format;
using TorchMmap.Reliability.Fuzz;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Hardening;

/// <summary>The CI subset of the .npy fuzzing: a few thousand generated files, and truncation at every offset of small files.</summary>
public sealed class NpyFuzzTests
{
    [Fact]
    public void Open_GeneratedFiles_ReadExactlyOrAreRefusedWithDocumentedTypes()
    {
        FuzzStats stats = FuzzSubset.Run(NpyGen.Any, 1500, seed: 20261126, NpyProperty.Check);

        Assert.Equal(1500, stats.Total);
        // Every family ran, and both outcomes occurred, so the run exercised what it claims to.
        foreach (string family in new[] { "valid", "truncated", "extended", "header-bytes", "preamble", "dict" })
            Assert.True(stats.Count(family) > 150, $"{family}: {stats.Count(family)} cases");
        Assert.Equal(stats.Count("valid"), stats.Count("valid", "read"));
        Assert.Equal(stats.Count("truncated"), stats.Count("truncated", "InvalidData"));
        Assert.True(stats.Count("dict", "NotSupported") > 0);
        Assert.True(stats.Count("dict", "read") > 0);
    }

    [Fact]
    public void Open_GeneratedHeaderDicts_MatchTheirKnownValidity()
    {
        FuzzStats stats = FuzzSubset.Run(NpyDictGen.Case, 1500, seed: 77, NpyProperty.Check);

        Assert.Equal(1500, stats.Count("dict"));
    }

    [Theory]
    [InlineData("<f4", new long[] { 3, 2 }, false, 1)]
    [InlineData(">i2", new long[] { 2, 3 }, true, 2)]
    [InlineData("|b1", new long[0], false, 3)]
    [InlineData(">c16", new long[] { 1 }, false, 1)]
    [InlineData("<u2", new long[] { 0, 5 }, false, 2)]
    public void Open_TruncatedAtEveryOffset_ThrowsInvalidData(string descr, long[] shape, bool fortran, int version)
    {
        FuzzDType dtype = FuzzDType.Supported.Single(d => d.Descr == descr);
        byte[] data = new byte[shape.Aggregate(1L, (a, d) => a * d) * dtype.ItemSize];
        new Random(5).NextBytes(data);
        var file = new NpyBaseFile(new NpyLayoutSpec(dtype, shape, fortran), version, data);
        var stats = new FuzzStats();
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-trunc-");
        try
        {
            NpyProperty.Check(new NpyCase("valid", file.ToString(), file.Bytes, Expect.Accept, file.Layout), dir.FullName, stats);
            for (int cut = 0; cut < file.Bytes.Length; cut++)
                NpyProperty.Check(new NpyCase("truncated", $"{file} cut at {cut}", file.Bytes[..cut], Expect.RefuseInvalid, null), dir.FullName, stats);
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        Assert.Equal(file.Bytes.Length, stats.Count("truncated", "InvalidData"));
        Assert.Equal(1, stats.Count("valid", "read"));
    }

    [Fact]
    public void Parse_ZeroDimensionWithOverflowingByteSize_ThrowsInvalidData()
    {
        // (2**63 - 1, 0) of int16 is empty, but NumPy still refuses it: 2**63 - 1 rows of 2 bytes cannot be addressed.
        byte[] bytes = Reliability.Fuzz.NpyBytes.File("{'descr': '<i2', 'fortran_order': False, 'shape': (9223372036854775807, 0), }", 1, []);

        var ex = Assert.Throws<InvalidDataException>(() => NpyHeader.Parse(bytes, "huge.npy", isWholeFile: true));
        Assert.Contains("huge.npy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRows_BillionsOfEmptyFortranRows_ReturnsEmptyTensorWithoutLooping()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-empty-rows-");
        try
        {
            string path = Path.Combine(dir.FullName, "e.npy");
            File.WriteAllBytes(path, Reliability.Fuzz.NpyBytes.File("{'descr': '<i2', 'fortran_order': True, 'shape': (2147483648, 2, 0), }", 1, []));
            using NpyArray array = NpyArray.Open(path);
            var clock = System.Diagnostics.Stopwatch.StartNew();

            using TorchSharp.torch.Tensor rows = array.ReadRows(0, array.Length);

            Assert.Equal(new long[] { 2147483648, 2, 0 }, rows.shape);
            // Looping over 2**31 rows takes many seconds; no loop takes microseconds.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), clock.Elapsed.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
