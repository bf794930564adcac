using System.Diagnostics;
using System.Text.Json;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Tests.Data;
using TorchMmap.Tests.TestUtilities;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Launchers;

/// <summary>
/// Four real processes started by Open MPI's <c>mpirun</c> (Debian's <c>openmpi-bin</c>, installed by scripts/setup.sh), each
/// running tests/TorchMmap.LaunchProbe: one epoch of its share of a 1 GiB file, then every row once more.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class MpirunTests : IDisposable
{
    private const int Ranks = 4;
    private const long Rows = 262_147;   // not a multiple of 4: PyTorch pads the order with its first row
    private const int RowFloats = 1024;  // 4 KiB rows, 1 GiB in all
    private const int BatchSize = 64;
    private const long Seed = 7, Epoch = 2;

    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Mpirun_FourRanks_ReadDisjointPyTorchSharesFromOnePageCacheCopy()
    {
        (string x, string label) = WriteData();
        string outDir = Directory.CreateDirectory(_files.PathOf("out")).FullName;
        RunMpirun(x, label, outDir);

        RankResult[] ranks = Enumerable.Range(0, Ranks)
            .Select(r => JsonSerializer.Deserialize<RankResult>(File.ReadAllText(Path.Combine(outDir, $"rank-{r}.json")))!)
            .ToArray();

        // Each process found its place from Open MPI's variables, and its sampler used it.
        for (int r = 0; r < Ranks; r++)
        {
            Assert.Equal(("Open MPI", r, Ranks, (int?)r), (ranks[r].Launcher, ranks[r].Rank, ranks[r].WorldSize, ranks[r].LocalRank));
            Assert.Equal((Ranks, r), (ranks[r].NumReplicas, ranks[r].SamplerRank));
        }

        // Each share equals a single-process DistributedSampler for that rank (itself checked index for index against PyTorch).
        for (int r = 0; r < Ranks; r++)
        {
            var sampler = new DistributedSampler(Rows, num_replicas: Ranks, rank: r, seed: Seed);
            sampler.SetEpoch(Epoch);
            Assert.Equal(sampler.GetIndices(), ranks[r].Indices);
        }

        // Disjoint, and together every row once plus PyTorch's padding: the order's first (total - rows) rows again.
        long perRank = (Rows + Ranks - 1) / Ranks;
        long[] permutation = LoaderAssert.RandPerm(Rows, Seed + Epoch);
        long[] padding = permutation.Take((int)(perRank * Ranks - Rows)).ToArray();
        long[] all = ranks.SelectMany(r => r.Indices).ToArray();
        Assert.Equal(perRank * Ranks, all.Length);
        Assert.Equal(Enumerable.Range(0, (int)Rows).Select(i => (long)i).Concat(padding).Order(), all.Order());
        for (int a = 0; a < Ranks; a++)
        {
            for (int b = a + 1; b < Ranks; b++)
                Assert.Equal(padding.Intersect(ranks[a].Indices).Intersect(ranks[b].Indices), ranks[a].Indices.Intersect(ranks[b].Indices).Order());
        }

        // One copy of the data: each process maps all of the file (Rss), the page cache holds it once (the processes' Pss
        // of the mapping add up to the file), and their private (anonymous) memory is a small fraction of 4 copies.
        long fileKiB = new FileInfo(x).Length / 1024;
        Assert.All(ranks, r => Assert.InRange(r.MappingRssKiB, fileKiB * 95 / 100, fileKiB + 8));
        long pssSum = ranks.Sum(r => r.MappingPssKiB);
        Assert.InRange(pssSum, fileKiB * 95 / 100, fileKiB * 105 / 100);
        long anonSum = ranks.Sum(r => r.RssAnonKiB);
        Assert.True(anonSum < Ranks * fileKiB / 4, $"The {Ranks} processes hold {anonSum} KiB of anonymous memory; {Ranks} copies of the file would be {Ranks * fileKiB} KiB.");
        Assert.All(ranks, r => Assert.Equal(ranks[0].Checksum, r.Checksum));
    }

    private (string X, string Label) WriteData()
    {
        string x = _files.PathOf("x.npy"), label = _files.PathOf("label.npy");
        // Row i of x holds the value i, so the probe checks each row it reads against its label.
        using (var writer = NpyWriter.Create(x, NpyDType.Float32, [RowFloats]))
        {
            const int Chunk = 4096;
            var values = new float[Chunk * RowFloats];
            for (long start = 0; start < Rows; start += Chunk)
            {
                int n = (int)Math.Min(Chunk, Rows - start);
                for (int i = 0; i < n; i++)
                    values.AsSpan(i * RowFloats, RowFloats).Fill(start + i);
                writer.Append<float>(values.AsSpan(0, n * RowFloats));
            }
            writer.Complete();
        }
        using (Tensor labels = torch.arange(Rows, dtype: ScalarType.Int64))
            Npy.Save(label, labels);
        return (x, label);
    }

    private static void RunMpirun(string x, string label, string outDir)
    {
        string mpirun = FindOnPath("mpirun")
            ?? throw new InvalidOperationException("mpirun is not installed: run scripts/setup.sh (it installs Debian's openmpi-bin).");
        var start = new ProcessStartInfo(mpirun)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "-np", $"{Ranks}", "--oversubscribe" })
            start.ArgumentList.Add(arg);
        if (Environment.UserName == "root")
            start.ArgumentList.Add("--allow-run-as-root");
        foreach (string arg in new[] { "dotnet", BuiltProgram.LaunchProbe, x, label, outDir, $"{BatchSize}", $"{Seed}", $"{Epoch}" })
            start.ArgumentList.Add(arg);

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun did not finish in 5 minutes: {output.Result}{errors.Result}");
        }
        Assert.True(process.ExitCode == 0, $"mpirun exited with {process.ExitCode}: {output.Result}{errors.Result}");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private sealed record RankResult(
        string Launcher, int Rank, int WorldSize, int? LocalRank, int? LocalWorldSize, int NumReplicas, int SamplerRank,
        long[] Indices, double Checksum, long MappingRssKiB, long MappingPssKiB, long RssAnonKiB, long RssFileKiB);
}

/// <summary>Tests that start several processes over large files: run alone, so their memory figures are their own.</summary>
[CollectionDefinition(nameof(MultiProcessCollection), DisableParallelization = true)]
public sealed class MultiProcessCollection;
