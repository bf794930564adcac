using TorchMmap.Reliability.Fuzz;

namespace TorchMmap.Tests.Hardening;

/// <summary>The CI subset of the IDX converter fuzzing: generated IDX files, plain and gzip'd, converted and checked.</summary>
public sealed class IdxFuzzTests
{
    [Fact]
    public void Convert_GeneratedIdxFiles_WriteTheDecodedArrayOrAreRefusedLeavingNoFile()
    {
        FuzzStats stats = FuzzSubset.Run(IdxGen.Any, 1800, seed: 60606, IdxProperty.Check);

        Assert.Equal(1800, stats.Total);
        // Every family ran, and the families that must read or be refused did so.
        string[] families = ["idx-valid", "idx-truncated", "idx-gzip-truncated", "idx-header-bytes", "idx-huge-dims", "idx-overflow", "idx-zero-dims", "idx-trailing-junk", "idx-high-rank"];
        foreach (string family in families)
            Assert.True(stats.Count(family) > 120, $"{family}: {stats.Count(family)} cases");
        Assert.Equal(stats.Count("idx-valid"), stats.Count("idx-valid", "read"));
        Assert.Equal(stats.Count("idx-truncated"), stats.Count("idx-truncated", "InvalidData"));
        Assert.True(stats.Count(null, "NotSupported") > 0);
        Assert.True(stats.Count("idx-high-rank", "read") > 0);
        Assert.True(stats.Count("idx-zero-dims", "read") > 0);
    }
}
