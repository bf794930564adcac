using System.Globalization;
using TorchMmap.Reliability.Fuzz;
using TorchMmap.Reliability.Soak;

namespace TorchMmap.Reliability;

/// <summary>
/// Reliability runs that are too long for CI: <c>fuzz [--cases N] [--seed S] [--threads T]</c> checks generated malformed
/// .npy and .npz files, <c>soak [--epochs N] [--rows N]</c> runs many loader epochs and prints memory and live tensors.
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
                "fuzz" => RunFuzz(Option(args, "--cases", 125_000), Text(args, "--seed"), (int)Option(args, "--threads", 2)),
                "soak" => RunSoak((int)Option(args, "--epochs", 50), Option(args, "--rows", 60_000)),
                "write-forever" when args.Length == 2 => WriteForever.Run(args[1]),
                _ => Usage(),
            };
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return Usage();
        }
    }

    private static int RunFuzz(long cases, string? seed, int threads)
    {
        // Four .npy cases for every .npz case.
        long npz = cases / 5, npy = cases - npz;
        var stats = new FuzzStats();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int failures = 0;
        try
        {
            FuzzRunner.RunNpy(NpyGen.Any, npy, stats, seed, threads);
        }
        catch (Exception ex)
        {
            failures++;
            Console.WriteLine("NPY FAILURE: " + ex.Message + Environment.NewLine + "  -> " + ex.InnerException);
        }
        try
        {
            FuzzRunner.RunNpz(NpzGen.Any, npz, stats, seed, threads);
        }
        catch (Exception ex)
        {
            failures++;
            Console.WriteLine("NPZ FAILURE: " + ex.Message + Environment.NewLine + "  -> " + ex.InnerException);
        }
        Console.WriteLine($"fuzz: {stats.Total} cases checked in {clock.Elapsed.TotalSeconds:0.0} s on {threads} threads, {failures} failing properties, time limit {FuzzRunner.CaseTimeLimit.TotalSeconds} s per case");
        Console.WriteLine();
        Console.WriteLine(stats.ToMarkdown());
        Console.WriteLine("IDX converter: not fuzzed (no IDX converter on main when this ran).");
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
            Console.WriteLine("| epoch | batches | RssAnon MiB | RssFile MiB | live tensors after epoch | live tensors at batch 10 | managed heap MiB | s |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (EpochStats s in SoakRun.Run(x, y, epochs))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {s.Epoch} | {s.Batches} | {s.RssAnonKiB / 1024.0:0.0} | {s.RssFileKiB / 1024.0:0.0} | {s.LiveTensors} | {s.LiveTensorsMidEpoch} | {s.ManagedHeapBytes / 1048576.0:0.0} | {s.Seconds:0.00} |"));
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
        Console.Error.WriteLine("usage: TorchMmap.Reliability fuzz [--cases N] [--seed S] [--threads T]");
        Console.Error.WriteLine("       TorchMmap.Reliability soak [--epochs N] [--rows N]");
        return 2;
    }
}
