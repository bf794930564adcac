using System.Text.Json;
using CsCheck;
using TorchMmap.Reliability.Fuzz;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// Checks the fuzzer's oracle against the reference: the header dicts it generates as valid must load in real NumPy as the
/// same dtype, shape and order, and those it generates as malformed must make NumPy raise too.
/// </summary>
[Trait("Requires", "python")]
public sealed partial class NpyDictOracleTests
{
    [System.Text.RegularExpressions.GeneratedRegex(@"'shape'\s*:\s*\([^)]*-\d|""shape""\s*:\s*\([^)]*-\d")]
    private static partial System.Text.RegularExpressions.Regex NegativeDimension();

    [Fact]
    public void NpyDictGen_ExpectedOutcomes_AgreeWithNumPy()
    {
        var pcg = new PCG(3, 2026);
        NpyCase[] cases = Enumerable.Range(0, 400).Select(i => NpyDictGen.Case.Generate(pcg, null, out CsCheck.Size _))
            .Where(c => c.Expect is Expect.Accept or Expect.RefuseInvalid).ToArray();
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-oracle-");
        try
        {
            for (int i = 0; i < cases.Length; i++)
                File.WriteAllBytes(Path.Combine(dir.FullName, $"{i}.npy"), cases[i].Bytes);
            string json = TorchReference.Run($$"""
                import json, numpy as np
                out = []
                for i in range({{cases.Length}}):
                    try:
                        a = np.load(r'{{dir.FullName}}/%d.npy' % i, allow_pickle=False)
                        out.append([a.dtype.str, list(a.shape), bool(a.flags.f_contiguous and not a.flags.c_contiguous) or None])
                    except Exception as e:
                        out.append(type(e).__name__)
                print(json.dumps(out))
                """);
            JsonElement[] numpy = JsonDocument.Parse(json).RootElement.EnumerateArray().ToArray();

            var disagreements = new List<string>();
            for (int i = 0; i < cases.Length; i++)
            {
                NpyCase c = cases[i];
                JsonElement result = numpy[i];
                bool loaded = result.ValueKind == JsonValueKind.Array;
                // Known, deliberate differences: a key given twice (NumPy keeps the last value; TorchMmap refuses the
                // ambiguity) and a dimension of -2**63 (NumPy's element count wraps to "read everything"; negative
                // dimensions are refused).
                bool deliberate = c.Description.Contains(" duplicate key", StringComparison.Ordinal) || NegativeDimension().IsMatch(c.Description);
                if (deliberate)
                    continue;
                if (c.Expect == Expect.RefuseInvalid && loaded)
                    disagreements.Add($"NumPy loads what the fuzzer calls malformed: {c.Description.Replace("\n", " ", StringComparison.Ordinal)}");
                else if (c.Expect == Expect.Accept && !loaded)
                    disagreements.Add($"NumPy raises {result.GetString()} on what the fuzzer calls valid: {c.Description}");
                else if (c.Expect == Expect.Accept)
                {
                    NpyLayoutSpec want = c.Accepted!;
                    string descr = result[0].GetString()!;
                    long[] shape = result[1].EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    // NumPy writes one-byte types with '|'; bool is '|b1'.
                    if (descr != want.DType.Descr || !shape.SequenceEqual(want.Shape))
                        disagreements.Add($"NumPy reads {descr} ({string.Join(", ", shape)}), the fuzzer expects {want}: {c.Description}");
                }
            }

            Assert.True(cases.Count(c => c.Expect == Expect.Accept) > 50);
            Assert.True(cases.Count(c => c.Expect == Expect.RefuseInvalid) > 100);
            Assert.True(disagreements.Count == 0, string.Join(Environment.NewLine, disagreements));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
