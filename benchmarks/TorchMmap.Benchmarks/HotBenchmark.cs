using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TorchMmap.Benchmarks;

/// <summary>The hot-cache comparison: every contender in its own child process, then tables of ratios from the same run.</summary>
internal static class HotBenchmark
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static int Run(Options options)
    {
        string dir = options.Data;
        string[] workloads = options.GetList("workloads", Workload.All.Select(w => w.Name));
        string[] orders = options.GetList("orders", ["sequential", "shuffled"]);
        string[] contenders = options.GetList("contenders", Contenders.All.Select(c => c.Name));
        // Names and orders are checked here, before any data is written or child started, rather than in every child.
        foreach (string c in contenders)
            _ = Contenders.Find(c);
        foreach (string w in workloads)
            _ = Workload.Find(w);
        if (orders.FirstOrDefault(o => o is not ("sequential" or "shuffled")) is { } badOrder)
            throw new ArgumentException($"Unknown order '{badOrder}'; use sequential or shuffled.");
        int epochs = options.GetInt("epochs", 3);
        int rounds = options.GetInt("rounds", 1);
        bool interleave = options.Get("separate", "false") != "true";
        // --memory false skips the one-process-per-contender runs that measure peak memory (timing only).
        bool memory = !interleave || options.Get("memory", "true") == "true";
        var results = new List<RunResult>();
        foreach (string name in workloads)
        {
            Workload w = Workload.Find(name);
            w.EnsureWritten(dir);
            // Bring the files into the page cache before any contender runs (each also has its own warm-up epoch).
            foreach (string path in new[] { w.ImagesPath(dir), w.LabelsPath(dir) })
            {
                using FileStream f = File.OpenRead(path);
                f.CopyTo(Stream.Null);
            }
            foreach (string order in orders)
            {
                var byContender = new Dictionary<string, List<RunResult>>(StringComparer.Ordinal);
                void Add(RunResult r)
                {
                    if (!byContender.TryGetValue(r.Contender, out List<RunResult>? list))
                        byContender[r.Contender] = list = [];
                    list.Add(r);
                }
                for (int round = 0; round < rounds; round++)
                {
                    // Memory: each contender alone in a child process (warm-up plus the timed epochs).
                    foreach (string c in memory ? contenders : [])
                    {
                        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {w.Name} {order} {c} (own process, round {round + 1} of {rounds})");
                        // When timing is interleaved, one epoch after the warm-up is enough to reach the peaks.
                        RunResult? r = ChildProcess.Run(["--child", "hot", w.Name, order, c, dir, (interleave ? 1 : epochs).ToString(CultureInfo.InvariantCulture)]);
                        if (r is null)
                            continue;
                        Console.Error.WriteLine($"  {r.SamplesPerSecond,12:N0} samples/s {r.GBps,8:F3} GB/s  epochs {string.Join(' ', r.EpochSeconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))} s");
                        Add(r with { EpochSeconds = interleave ? [] : r.EpochSeconds });
                    }
                    if (!interleave)
                        continue;
                    // Time: all contenders in one process, epoch by epoch in turn.
                    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {w.Name} {order} interleaved (round {round + 1} of {rounds})");
                    foreach (RunResult r in ChildProcess.RunAll(["--child", "interleaved", w.Name, order, dir, epochs.ToString(CultureInfo.InvariantCulture), string.Join(',', contenders), round.ToString(CultureInfo.InvariantCulture)]))
                    {
                        Console.Error.WriteLine($"  {r.Contender,-12} {r.SamplesPerSecond,12:N0} samples/s {r.GBps,8:F3} GB/s  epochs {string.Join(' ', r.EpochSeconds.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))} s");
                        Add(r with { PeakRssKiB = 0, PeakAnonKiB = 0 });
                    }
                }
                foreach (string c in contenders)
                {
                    if (byContender.TryGetValue(c, out List<RunResult>? list))
                        results.Add(Merge(list));
                }
            }
        }
        string report = Tables(results);
        Console.WriteLine(report);
        string? output = options.Get("out", "");
        if (!string.IsNullOrEmpty(output))
        {
            File.WriteAllText(output, report);
            File.WriteAllText(Path.ChangeExtension(output, ".json"), JsonSerializer.Serialize(results, s_json));
        }
        return 0;
    }

    // All timed epochs of all rounds count toward the median; memory peaks are the highest seen.
    private static RunResult Merge(List<RunResult> runs) => runs[0] with
    {
        EpochSeconds = runs.SelectMany(r => r.EpochSeconds).ToArray(),
        EpochCpuSeconds = runs.SelectMany(r => r.EpochCpuSeconds ?? []).ToArray(),
        PeakRssKiB = runs.Max(r => r.PeakRssKiB),
        PeakAnonKiB = runs.Max(r => r.PeakAnonKiB),
        WaitSeconds = runs.Where(r => r.EpochSeconds.Length > 0).Select(r => r.WaitSeconds).DefaultIfEmpty().Average(),
        MajorFaults = runs.Max(r => r.MajorFaults),
    };

    public static string Tables(IReadOnlyList<RunResult> results)
    {
        var sb = new StringBuilder();
        foreach (var group in results.GroupBy(r => (r.Workload, r.Order)))
        {
            RunResult? limit = group.FirstOrDefault(r => r.Contender == "memcpy-2t");
            RunResult? stock = group.FirstOrDefault(r => r.Contender == "stock-ram");
            RunResult? numpy = group.FirstOrDefault(r => r.Contender == "numpy");
            double best = group.Where(r => r.Contender.StartsWith("npy-", StringComparison.Ordinal)).Select(r => r.SamplesPerSecond).DefaultIfEmpty(double.NaN).Max();
            sb.AppendLine(CultureInfo.InvariantCulture, $"**{group.Key.Workload}, {group.Key.Order}** (median of {group.First().EpochSeconds.Length} timed epochs after one warm-up epoch)");
            sb.AppendLine();
            sb.AppendLine("| contender | samples/s | GB/s | x memcpy-2t | x best npy | x numpy | x stock-ram | CPU s/GB | peak RSS MiB | peak anon MiB | wait/epoch s |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (RunResult r in group)
            {
                string vsLimit = limit is null ? "" : (r.SamplesPerSecond / limit.SamplesPerSecond).ToString("F2", CultureInfo.InvariantCulture);
                string vsStock = stock is null ? "" : (r.SamplesPerSecond / stock.SamplesPerSecond).ToString("F1", CultureInfo.InvariantCulture);
                string vsBest = double.IsNaN(best) ? "" : (r.SamplesPerSecond / best).ToString("F2", CultureInfo.InvariantCulture);
                string vsNumpy = numpy is null ? "" : (r.SamplesPerSecond / numpy.SamplesPerSecond).ToString("F2", CultureInfo.InvariantCulture);
                string cpu = double.IsNaN(r.CpuSecondsPerGB) ? "" : r.CpuSecondsPerGB.ToString("F2", CultureInfo.InvariantCulture);
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {r.Contender} | {r.SamplesPerSecond:N0} | {r.GBps:F2} | {vsLimit} | {vsBest} | {vsNumpy} | {vsStock} | {cpu} | {(r.PeakRssKiB > 0 ? (r.PeakRssKiB / 1024.0).ToString("F0", CultureInfo.InvariantCulture) : "")} | {(r.PeakAnonKiB > 0 ? (r.PeakAnonKiB / 1024.0).ToString("F0", CultureInfo.InvariantCulture) : "")} | {(r.WaitSeconds > 0 ? r.WaitSeconds.ToString("F3", CultureInfo.InvariantCulture) : "")} |");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
