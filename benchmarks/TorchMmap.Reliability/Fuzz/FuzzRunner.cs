using CsCheck;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>Runs the fuzz properties over generated cases; the CI tests and the <c>fuzz</c> command both go through here.</summary>
public static class FuzzRunner
{
    /// <summary>How long one case may take before it counts as a hang (generous: the machine may be busy).</summary>
    public static TimeSpan CaseTimeLimit { get; } = TimeSpan.FromSeconds(20);

    /// <summary>Checks <paramref name="cases"/> .npy cases from <paramref name="gen"/>.</summary>
    /// <param name="gen">The generator.</param>
    /// <param name="cases">How many cases.</param>
    /// <param name="stats">Where outcomes are counted.</param>
    /// <param name="seed">A CsCheck seed to replay a run, or null for a random one.</param>
    /// <param name="threads">Threads to check on.</param>
    /// <exception cref="CsCheckException">A case broke the property (the shrunk case is in the message).</exception>
    public static void RunNpy(Gen<NpyCase> gen, long cases, FuzzStats stats, string? seed = null, int threads = 1) =>
        InScratch(dir => gen.Sample(c => TimeBound.Run(() => NpyProperty.Check(c, dir, stats), CaseTimeLimit), seed: seed, iter: cases, threads: threads, print: c => c.ToString()));

    /// <summary>Checks <paramref name="cases"/> .npz cases from <paramref name="gen"/>.</summary>
    /// <param name="gen">The generator.</param>
    /// <param name="cases">How many cases.</param>
    /// <param name="stats">Where outcomes are counted.</param>
    /// <param name="seed">A CsCheck seed to replay a run, or null for a random one.</param>
    /// <param name="threads">Threads to check on.</param>
    /// <exception cref="CsCheckException">A case broke the property.</exception>
    public static void RunNpz(Gen<NpzCase> gen, long cases, FuzzStats stats, string? seed = null, int threads = 1) =>
        InScratch(dir => gen.Sample(c => TimeBound.Run(() => NpzProperty.Check(c, dir, stats), CaseTimeLimit), seed: seed, iter: cases, threads: threads, print: c => c.ToString()));

    /// <summary>Checks <paramref name="cases"/> IDX conversion cases from <paramref name="gen"/>.</summary>
    /// <param name="gen">The generator.</param>
    /// <param name="cases">How many cases.</param>
    /// <param name="stats">Where outcomes are counted.</param>
    /// <param name="seed">A CsCheck seed to replay a run, or null for a random one.</param>
    /// <param name="threads">Threads to check on.</param>
    /// <exception cref="CsCheckException">A case broke the property.</exception>
    public static void RunIdx(Gen<IdxCase> gen, long cases, FuzzStats stats, string? seed = null, int threads = 1) =>
        InScratch(dir => gen.Sample(c => TimeBound.Run(() => IdxProperty.Check(c, dir, stats), CaseTimeLimit), seed: seed, iter: cases, threads: threads, print: c => c.ToString()));

    /// <summary>Checks <paramref name="cases"/> Megatron indexed-dataset cases from <paramref name="gen"/>.</summary>
    /// <param name="gen">The generator.</param>
    /// <param name="cases">How many cases.</param>
    /// <param name="stats">Where outcomes are counted.</param>
    /// <param name="seed">A CsCheck seed to replay a run, or null for a random one.</param>
    /// <param name="threads">Threads to check on.</param>
    /// <exception cref="CsCheckException">A case broke the property.</exception>
    public static void RunMegatron(Gen<MegatronCase> gen, long cases, FuzzStats stats, string? seed = null, int threads = 1) =>
        InScratch(dir => gen.Sample(c => TimeBound.Run(() => MegatronProperty.Check(c, dir, stats), CaseTimeLimit), seed: seed, iter: cases, threads: threads, print: c => c.ToString()));

    private static void InScratch(Action<string> run)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-fuzz-");
        try
        {
            run(dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
