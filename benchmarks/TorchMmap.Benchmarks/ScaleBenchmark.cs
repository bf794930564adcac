using System.Diagnostics;
using System.Globalization;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Samplers at scale: for datasets of N one-byte rows (sparse .npy files, so N = 10^10 costs no disk), the managed memory a
/// sampler and loader keep after the first batch, the size of the loader's state, the time to the first batch of an epoch
/// (a new loader, its enumerator and the first <c>MoveNext</c>), and the time to the first batch after
/// <c>load_state_dict</c> at positions across the epoch; and how much the benchmark process's anonymous memory grew at its peak while each row ran. <c>scale [--sizes 1000000,100000000,10000000000] [--batch 1024]
/// [--repeats 7] [--randperm-max 100000000]</c>.
/// </summary>
internal static class ScaleBenchmark
{
    public static int Run(Options options)
    {
        long[] sizes = options.GetList("sizes", ["1000000", "100000000", "10000000000"]).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        int batch = options.GetInt("batch", 1024), repeats = options.GetInt("repeats", 7);
        long randpermMax = long.Parse(options.Get("randperm-max", "100000000"), CultureInfo.InvariantCulture);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-scale-bench-");
        try
        {
            string loadBefore = LoadAverage();
            // Warm-up, not reported: the first loader of a process loads libtorch and JIT-compiles the paths measured.
            string warmPath = Path.Combine(dir.FullName, "warm-up.npy");
            using (NpyArray.Create(warmPath, NpyDType.Parse("|u1"), [10_000]))
            {
            }
            using (var warm = NpyMmapDataset.Open(("x", warmPath)))
            {
                foreach (string kind in Kinds)
                    _ = FirstBatch(warm, Make(kind, warm.Count), batch, workers: 1, resume: null);
            }

            Console.WriteLine($"scale: batch {batch}, median of {repeats} runs (3 for randperm), num_workers 1 (the default) unless noted");
            Console.WriteLine();
            Console.WriteLine("| N | sampler | kept managed memory | state JSON | first batch | first batch, num_workers 0 | resume at 0 / 1% / 50% / end | rows computed per second | peak anon growth |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (long n in sizes)
            {
                string path = Path.Combine(dir.FullName, $"rows-{n}.npy");
                using (NpyArray.Create(path, NpyDType.Parse("|u1"), [n]))
                {
                }
                using var dataset = NpyMmapDataset.Open(("x", path));
                _ = dataset.Fingerprint;   // computed once per dataset, as a run does at its first checkpoint
                foreach (string kind in Kinds)
                {
                    if (kind == "RandomSampler" && n > randpermMax)
                    {
                        Console.WriteLine($"| {n:N0} | {kind} | {(8.0 * n >= 1L << 34 ? $"{8.0 * n / (1L << 30):F0} GiB" : $"{8.0 * n / (1 << 20):F0} MiB")} permutation: not run | | | | | | |");
                        continue;
                    }
                    Measure(dataset, n, kind, batch, kind == "RandomSampler" ? 3 : repeats);
                }
            }
            Console.WriteLine();
            Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores; {Machine()}; .NET {Environment.Version}; load average {loadBefore} before, {LoadAverage()} after");
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static readonly string[] Kinds = ["FeistelSampler", "BlockShuffleSampler", "SequentialSampler", "RandomSampler"];

    // The 1-minute load average: how busy the shared machine was (2 cores here; other processes' threads delay ours).
    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static Sampler Make(string kind, long n) => kind switch
    {
        "FeistelSampler" => new FeistelSampler(n, seed: 1, num_replicas: 1, rank: 0),
        "BlockShuffleSampler" => BlockShuffleSampler.ForRowBytes(n, rowBytes: 1, seed: 1, num_replicas: 1, rank: 0),
        "SequentialSampler" => new SequentialSampler(n),
        _ => new RandomSampler(n, seed: 1),
    };

    private static void Measure(NpyMmapDataset dataset, long n, string kind, int batch, int repeats)
    {
        // Anonymous memory the row added at its peak (the runtime keeps freed heap, so earlier rows' memory is not counted again).
        long anonBefore = ProcStats.Status("RssAnon");
        using ProcStats stats = ProcStats.StartSampling();
        // Memory: what stays reachable once the first batch is out (a randperm sampler keeps its epoch's permutation).
        long before = GC.GetTotalMemory(forceFullCollection: true);
        Sampler kept = Make(kind, n);
        var keptLoader = new NpyDataLoader(dataset, batch, sampler: kept, num_workers: 0);
        IEnumerator<Dictionary<string, Tensor>> e = keptLoader.GetEnumerator();
        e.MoveNext();
        long keptBytes = GC.GetTotalMemory(forceFullCollection: true) - before;
        NpyLoaderState state = keptLoader.state_dict();
        int stateBytes = state.ToJson().Length;
        e.Dispose();
        keptLoader.Dispose();
        GC.KeepAlive(kept);

        double first = Median(repeats, () => FirstBatch(dataset, Make(kind, n), batch, workers: 1, resume: null));
        double firstInline = Median(repeats, () => FirstBatch(dataset, Make(kind, n), batch, workers: 0, resume: null));
        long[] positions = [0, n / 100 / batch * batch, n / 2 / batch * batch, (n - 1) / batch * batch];
        string resumes = string.Join(" / ", positions.Select(p =>
            Ms(Median(repeats, () => FirstBatch(dataset, Make(kind, n), batch, workers: 1, resume: state with { Epoch = 0, Position = p })))));
        Console.WriteLine($"| {n:N0} | {kind} | {Bytes(keptBytes)} | {stateBytes} B | {Ms(first)} | {Ms(firstInline)} | {resumes} | {RowsPerSecond(Make(kind, n)) / 1e6:F1} M | {Math.Max(0, stats.PeakAnonKiB - anonBefore) / 1024} MiB |");
    }

    // Seconds from a new loader to its first batch; a state is loaded first when given.
    private static double FirstBatch(NpyMmapDataset dataset, Sampler sampler, int batch, int workers, NpyLoaderState? resume)
    {
        long start = Stopwatch.GetTimestamp();
        using var loader = new NpyDataLoader(dataset, batch, sampler: sampler, num_workers: workers);
        if (resume is not null)
            loader.load_state_dict(resume);
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        if (!e.MoveNext())
            throw new InvalidOperationException("No first batch.");
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // How fast CopyOrder computes a replica's rows: 2^20 consecutive positions in the middle of epoch 1, best of 3.
    private static double RowsPerSecond(Sampler sampler)
    {
        long n = sampler.DatasetLength!.Value;
        var rows = new long[(int)Math.Min(n, 1 << 20)];
        sampler.CopyOrder(1, n / 2, 1, rows);
        double best = double.MaxValue;
        for (int run = 0; run < 3; run++)
        {
            long start = Stopwatch.GetTimestamp();
            sampler.CopyOrder(1, n / 2, 1, rows);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return rows.Length / best;
    }

    private static double Median(int repeats, Func<double> run)
    {
        double[] times = Enumerable.Range(0, repeats).Select(_ => run()).Order().ToArray();
        return times[times.Length / 2];
    }

    private static string Ms(double seconds) => seconds < 0.1 ? $"{seconds * 1000:F2} ms" : $"{seconds:F2} s";

    private static string Bytes(long bytes) => bytes < 1 << 20 ? $"{Math.Max(0, bytes) / 1024.0:F1} KiB" : $"{bytes / (double)(1 << 20):F0} MiB";

    private static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";
        long memKiB = File.Exists("/proc/meminfo") ? long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) : 0;
        return $"{cpu}, {memKiB / (1024 * 1024)} GiB";
    }
}
