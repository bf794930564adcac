using System.Globalization;
using System.Text;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Token windows of T = 1024 (batch 12, nanoGPT's GPT-2 shape) drawn as nanoGPT's get_batch draws them, from a nanoGPT
/// <c>.bin</c> file: hot (page cache warm) in rounds that alternate a .NET child (the memcpy limit and the loader with 0, 1
/// and 2 workers) with the Python idiom; cold, each case in a memory cgroup at most a quarter of the file's size after
/// evicting the token file from the page cache; and a soak of a million batches reporting anonymous memory.
/// </summary>
internal static class TokensBenchmark
{
    private const string CgroupRoot = "/sys/fs/cgroup/memory";

    // Window starts a cold case draws, more than its time allows (12 a batch: a million batches): the sampler's 96 MB of
    // starts must fit the memory limit beside the process, whatever the batch size.
    private const int ColdWindows = 12_000_000;

    public static int Run(Options options)
    {
        string dir = options.Data;
        int limitMiB = options.GetInt("limit-mib", 400);
        var w = new TokenWorkload(long.Parse(options.Get("tokens", "900000000"), CultureInfo.InvariantCulture), options.GetInt("batch", 12), options.GetInt("block", 1024), 1337);
        w.EnsureWritten(dir);
        long fileBytes = new FileInfo(w.PathIn(dir)).Length;
        string[] parts = options.GetList("parts", ["hot", "cold", "soak"]);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"nanoGPT .bin of {w.Tokens:N0} uint16 tokens ({fileBytes / 1048576.0:F0} MiB); batches of {w.BatchSize} x {w.BlockSize} int64 x and y ({w.BatchBytes / 1024} KiB), starts drawn as get_batch's torch.randint(len - T, (B,)) after torch.manual_seed(1337)");
        if (parts.Contains("hot"))
            report.Append(Hot(options, w, dir));
        if (parts.Contains("cold"))
            report.Append(Cold(options, w, dir, limitMiB, fileBytes));
        if (parts.Contains("soak"))
            report.Append(Soak(options, w, dir));
        Console.WriteLine(report.ToString());
        return 0;
    }

    private static string Hot(Options options, TokenWorkload w, string dir)
    {
        int rounds = options.GetInt("rounds", 5);
        int batches = options.GetInt("batches", 10000);
        int pythonBatches = options.GetInt("python-batches", 600);
        using (FileStream f = File.OpenRead(w.PathIn(dir)))
            f.CopyTo(Stream.Null);
        var byContender = new Dictionary<string, List<RunResult>>(StringComparer.Ordinal);
        for (int round = 0; round < rounds; round++)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} tokens hot round {round + 1} of {rounds}");
            var results = ChildProcess.RunAll(["--child", "tokens", "--mode", "hot", "--data", dir, "--tokens", Str(w.Tokens), "--batch", Str(w.BatchSize), "--block", Str(w.BlockSize), "--batches", Str(batches)]);
            if (TokensPython.Run(w, dir, pythonBatches, drop: null, timeoutSeconds: 600) is RunResult py)
                results.Add(py);
            foreach (RunResult r in results)
            {
                Console.Error.WriteLine($"  {r.Contender,-18} {r.Samples / r.Median,10:N0} batches/s {r.GBps,7:F2} GB/s");
                if (!byContender.TryGetValue(r.Contender, out List<RunResult>? list))
                    byContender[r.Contender] = list = [];
                list.Add(r);
            }
        }
        double Rate(string c) => byContender.TryGetValue(c, out List<RunResult>? l) ? Median(l.Select(r => r.Samples / r.Median)) : double.NaN;
        double limit = Rate("limit"), python = Rate("python-get_batch");
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Hot (file in the page cache): medians of {rounds} rounds; .NET contenders {batches} batches each after a warm-up epoch, Python {pythonBatches} after {pythonBatches / 10}.");
        sb.AppendLine();
        sb.AppendLine("| contender | batches/s | GB/s handed over | x memcpy limit | x Python get_batch | peak anon MiB |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach ((string c, List<RunResult> list) in byContender)
        {
            double rate = Rate(c);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {Label(c)} | {rate:N0} | {rate * w.BatchBytes / 1e9:F2} | {rate / limit:F2} | {rate / python:F1} | {list.Max(r => r.PeakAnonKiB) / 1024.0:F0} |");
        }
        return sb.ToString();
    }

    private static string Cold(Options options, TokenWorkload w, string dir, int limitMiB, long fileBytes)
    {
        if (!Directory.Exists(CgroupRoot))
            return $"{Environment.NewLine}Cold: skipped, {CgroupRoot} does not exist (needs cgroup v1 and root).{Environment.NewLine}";
        if (fileBytes < 4L * limitMiB * 1048576)
            Console.Error.WriteLine($"warning: the file ({fileBytes >> 20} MiB) is less than 4x the limit ({limitMiB} MiB)");
        int seconds = options.GetInt("cold-seconds", 20);
        string drop = ColdCache.Mode(options);
        string[] cases = options.GetList("cold-cases", ["limit", "loader-nohints", "loader", "loader-w2", "python-get_batch"]);
        string cgroup = Path.Combine(CgroupRoot, $"torchmmap-tokens-{Environment.ProcessId}");
        Directory.CreateDirectory(cgroup);
        var rows = new List<(RunResult R, long CgroupPeak)>();
        ColdCache.WakeDisk([w.PathIn(dir)]);
        try
        {
            File.WriteAllText(Path.Combine(cgroup, "memory.limit_in_bytes"), (limitMiB * 1048576L).ToString(CultureInfo.InvariantCulture));
            string prefix = $"echo $$ > {cgroup}/cgroup.procs &&";
            foreach (string c in cases)
            {
                Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} tokens cold {c} in {limitMiB} MiB");
                File.WriteAllText(Path.Combine(cgroup, "memory.max_usage_in_bytes"), "0");
                RunResult? r = c == "python-get_batch"
                    ? TokensPython.Run(w, dir, 1_000_000, drop: drop, timeoutSeconds: seconds, shellPrefix: prefix)
                    : ChildProcess.Run(["--child", "tokens", "--mode", "cold", "--contender", c, "--data", dir, "--tokens", Str(w.Tokens), "--batch", Str(w.BatchSize), "--block", Str(w.BlockSize), "--batches", Str(ColdWindows / w.BatchSize), "--timeout-s", Str(seconds), "--drop", drop],
                        shellPrefix: prefix, timeout: TimeSpan.FromSeconds(seconds + 300));
                long peak = long.Parse(File.ReadAllText(Path.Combine(cgroup, "memory.max_usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);
                if (r is not null)
                {
                    rows.Add((r, peak));
                    Console.Error.WriteLine($"  {r.Samples / r.Median:N0} batches/s, {r.MajorFaults} major faults");
                }
            }
        }
        finally
        {
            Directory.Delete(cgroup);
        }
        double python = rows.Where(r => r.R.Contender == "python-get_batch").Select(r => r.R.Samples / r.R.Median).DefaultIfEmpty(double.NaN).First();
        double limit = rows.Where(r => r.R.Contender == "limit").Select(r => r.R.Samples / r.R.Median).DefaultIfEmpty(double.NaN).First();
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Cold: each case alone in a {limitMiB} MiB memory cgroup ({fileBytes / (limitMiB * 1048576.0):F1}x smaller than the file), {ColdCache.Describe(drop)} before timing, {seconds} s each; the loader's defaults pass page hints here, since the file is larger than the memory the process may use.");
        sb.AppendLine();
        sb.AppendLine("| contender | batches | batches/s | x memcpy limit | x Python get_batch | major faults | MiB read from disk | peak anon MiB | cgroup peak MiB |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach ((RunResult r, long peak) in rows)
        {
            double rate = r.Samples / r.Median;
            string label = Label(r.Contender);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {r.Samples:N0} | {rate:N0} | {rate / limit:F2} | {rate / python:F1} | {r.MajorFaults:N0} | {(r.DiskReadBytes ?? 0) / 1048576.0:N0} | {r.PeakAnonKiB / 1024.0:F0} | {peak / 1048576.0:F0} |");
        }
        return sb.ToString();
    }

    private static string Soak(Options options, TokenWorkload w, string dir)
    {
        int epochs = options.GetInt("soak-epochs", 10);
        int per = options.GetInt("soak-batches", 100_000);
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} tokens soak: {epochs} x {per} batches");
        RunResult? r = ChildProcess.Run(["--child", "tokens", "--mode", "soak", "--data", dir, "--tokens", Str(w.Tokens), "--batch", Str(w.BatchSize), "--block", Str(w.BlockSize), "--batches", Str(per), "--epochs", Str(epochs)], timeout: TimeSpan.FromHours(2));
        if (r?.AnonKiBSeries is not { Length: > 0 } anon)
            return $"{Environment.NewLine}Soak: the child produced no result.{Environment.NewLine}";
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Soak: {r.Samples:N0} batches through the loader (every option at its default: 1 worker, the default prefetch_factor), hot; anonymous memory (RssAnon, after a GC) every {per:N0} batches, MiB:");
        sb.AppendLine();
        sb.AppendLine(string.Join(" ", anon.Select(a => (a / 1024.0).ToString("F1", CultureInfo.InvariantCulture))));
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"growth from the first to the last checkpoint: {(anon[^1] - anon[0]) / 1024.0:F1} MiB over {(long)per * (epochs - 1):N0} batches; median {Median(r.EpochSeconds.Select(s => per / s)):N0} batches/s; peak RSS {r.PeakRssKiB / 1024.0:F0} MiB");
        return sb.ToString();
    }

    private static string Label(string contender) => contender switch
    {
        "limit" => "memcpy limit (fresh tensors, one memcpy per window)",
        "loader-w0" => "NpyDataLoader, num_workers 0",
        "loader" => "NpyDataLoader, defaults (num_workers 1)",
        "loader-w2" => "NpyDataLoader, num_workers 2",
        "loader-nohints" => "NpyDataLoader, num_workers 1, pageHints: false",
        "python-get_batch" => "nanoGPT get_batch (Python, PyTorch 1.13)",
        _ => contender,
    };

    private static double Median(IEnumerable<double> values)
    {
        double[] s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);
}
