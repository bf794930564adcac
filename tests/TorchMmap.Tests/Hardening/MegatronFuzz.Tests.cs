using TorchMmap.Reliability.Fuzz;

namespace TorchMmap.Tests.Hardening;

/// <summary>The CI subset of the Megatron indexed-dataset fuzzing: generated <c>.idx</c>/<c>.bin</c> pairs, valid and damaged,
/// opened and read in full, each checked against the fuzzer's own reader.</summary>
public sealed class MegatronFuzzTests
{
    [Fact]
    public void Open_GeneratedIndexedDatasets_ReadAsTheOracleDecodesOrAreRefusedNamingTheFile()
    {
        FuzzStats stats = FuzzSubset.Run(MegatronGen.Any, 2400, seed: 70707, MegatronProperty.Check);

        Assert.Equal(2400, stats.Total);
        // Every family ran; the untouched ones read, the cut indexes were refused, and the damaged ones did both.
        string[] families = ["mmidx-valid", "mmidx-idx-truncated", "mmidx-bin-truncated", "mmidx-header-bytes", "mmidx-lying-field", "mmidx-body-bytes", "mmidx-extended", "mmidx-wrong-flags"];
        foreach (string family in families)
            Assert.True(stats.Count(family) > 200, $"{family}: {stats.Count(family)} cases");
        Assert.Equal(stats.Count("mmidx-valid"), stats.Count("mmidx-valid", "read"));
        Assert.Equal(stats.Count("mmidx-idx-truncated"), stats.Count("mmidx-idx-truncated", "InvalidData"));
        foreach (string family in new[] { "mmidx-bin-truncated", "mmidx-header-bytes", "mmidx-lying-field", "mmidx-body-bytes", "mmidx-extended", "mmidx-wrong-flags" })
        {
            Assert.True(stats.Count(family, "read") > 0, $"{family}: nothing read");
            Assert.True(stats.Count(family, "InvalidData") > 0, $"{family}: nothing refused");
        }
    }
}
