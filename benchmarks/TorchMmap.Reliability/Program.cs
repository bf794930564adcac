using System.Globalization;
using TorchMmap.Format;
using TorchMmap.Reliability.Fuzz;
using TorchMmap.Reliability.Soak;

namespace TorchMmap.Reliability;

/// <summary>
/// Reliability runs that are too long for CI: <c>fuzz [--cases N] [--formats npy,npz,idx,megatron] [--seed S] [--threads T]</c>
/// checks N generated malformed files of each format (.npy, .npz, IDX conversions and Megatron indexed datasets); <c>soak [--epochs N] [--rows N]</c>
/// runs many loader epochs and prints memory and live tensors.
/// </summary>
public static class Program
{
    /// <summary>Runs a command.</summary>
    /// <param name="args">The command and its options.</param>
    /// <returns>0 on success, 1 when a property failed, 2 on a usage error.</returns>
    public static int Main(string[] args)
    {
        string command = args.Length > 0 ? args[0] : "";
        try
        {
            return command switch
            {
                "fuzz" => RunFuzz(Option(args, "--cases", 100_000), Text(args, "--formats") ?? "npy,npz,idx,megatron", Text(args, "--seed"), (int)Option(args, "--threads", 2)),
                "soak" => RunSoak((int)Option(args, "--epochs", 50), Option(args, "--rows", 60_000)),
                "write-forever" when args.Length == 2 => WriteForever.Run(args[1]),
                "heap-faults" when args.Length == 2 => HeapFaults.Run(args[1]),
                "two-threads" when args.Length == 3 => TwoThreads.Run(args[1], args[2]),
                "write-tokens-forever" when args.Length == 3 => WriteForever.RunTokens(Enum.Parse<TokenFileFormat>(args[1]), args[2]),
                "map-under-limit" when args.Length == 2 => Changes.MapUnderLimit.Run(args[1]),
                "read-while-changed" when args.Length is 4 or 5 => Changes.ReadWhileChanged.Run(args[1], args[2], double.Parse(args[3], CultureInfo.InvariantCulture), leases: args.Length == 4 || args[4] != "--no-lease"),
                _ => Usage(),
            };
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return Usage();
        }
    }

    private static int RunFuzz(long cases, string formats, string? seed, int threads)
    {
        var runs = new Dictionary<string, Action<FuzzStats>>(StringComparer.Ordinal)
        {
            ["npy"] = stats => FuzzRunner.RunNpy(NpyGen.Any, cases, stats, seed, threads),
            ["npz"] = stats => FuzzRunner.RunNpz(NpzGen.Any, cases, stats, seed, threads),
            ["idx"] = stats => FuzzRunner.RunIdx(IdxGen.Any, cases, stats, seed, threads),
            ["megatron"] = stats => FuzzRunner.RunMegatron(MegatronGen.Any, cases, stats, seed, threads),
        };
        string[] chosen = formats.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (chosen.Length == 0 || chosen.Any(f => !runs.ContainsKey(f)))
            throw new FormatException($"--formats takes a comma-separated list of {string.Join(", ", runs.Keys)}; got '{formats}'.");
        var stats = new FuzzStats();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int failures = 0;
        foreach (string format in chosen)
        {
            var lap = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                runs[format](stats);
            }
            catch (Exception ex)
            {
                failures++;
                Console.WriteLine($"{format.ToUpperInvariant()} FAILURE: {ex.Message}{Environment.NewLine}  -> {ex.InnerException}");
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fuzz {format}: {cases} cases in {lap.Elapsed.TotalSeconds:0.0} s"));
        }
        Console.WriteLine($"fuzz: {stats.Total} cases checked in {clock.Elapsed.TotalSeconds:0.0} s on {threads} threads, {failures} failing properties, time limit {FuzzRunner.CaseTimeLimit.TotalSeconds} s per case");
        Console.WriteLine();
        Console.WriteLine(stats.ToMarkdown());
        return failures == 0 ? 0 : 1;
    }

    private static int RunSoak(int epochs, long rows)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-soak-");
        try
        {
            (string x, string y) = SoakRun.WriteData(dir.FullName, rows);
            Console.WriteLine($"soak: {epochs} epochs of NpyDataLoader over {rows} rows (28x28 uint8 + int64 label), batch 256, shuffle, 2 workers x prefetch 4, every batch verified");
            Console.WriteLine();
            Console.WriteLine("| epoch | batches | RssAnon MiB | RssAnon after malloc_trim MiB | RssFile MiB | live tensors after epoch | live tensors at batch 10 | managed heap MiB | JIT-compiled methods | s |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (EpochStats s in SoakRun.Run(x, y, epochs))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {s.Epoch} | {s.Batches} | {s.RssAnonKiB / 1024.0:0.0} | {s.RssAnonTrimmedKiB / 1024.0:0.0} | {s.RssFileKiB / 1024.0:0.0} | {s.LiveTensors} | {s.LiveTensorsMidEpoch} | {s.ManagedHeapBytes / 1048576.0:0.0} | {s.JitCompiledMethods} | {s.Seconds:0.00} |"));
            Console.WriteLine();
            Console.WriteLine($"after the loader, the dataset and the expected-image table are disposed: {TorchSharp.torch.Tensor.TotalCount} live tensors");
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static long Option(string[] args, string name, long fallback)
    {
        string? text = Text(args, name);
        return text is null ? fallback : long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static string? Text(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: TorchMmap.Reliability fuzz [--cases N per format] [--formats npy,npz,idx,megatron] [--seed S] [--threads T]");
        Console.Error.WriteLine("       TorchMmap.Reliability soak [--epochs N] [--rows N]");
        return 2;
    }
}
