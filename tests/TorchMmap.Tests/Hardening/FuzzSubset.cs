using CsCheck;
using TorchMmap.Reliability.Fuzz;

namespace TorchMmap.Tests.Hardening;

/// <summary>Runs a fixed, reproducible stream of generated cases through the same properties as the <c>fuzz</c> command.</summary>
internal static class FuzzSubset
{
    /// <summary>Generates <paramref name="cases"/> values from a fixed seed and checks each one, with the command's time limit.</summary>
    public static FuzzStats Run<T>(Gen<T> gen, int cases, ulong seed, Action<T, string, FuzzStats> check)
    {
        var stats = new FuzzStats();
        var pcg = new PCG(1, seed);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-fuzz-test-");
        try
        {
            for (int i = 0; i < cases; i++)
            {
                T value = gen.Generate(pcg, null, out _);
                try
                {
                    TimeBound.Run(() => check(value, dir.FullName, stats), FuzzRunner.CaseTimeLimit);
                }
                catch (Exception ex)
                {
                    throw new FuzzFailureException($"Case {i} failed: {value}", ex);
                }
            }
            return stats;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
