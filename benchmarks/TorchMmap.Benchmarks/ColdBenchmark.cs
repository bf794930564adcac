using System.Globalization;
using System.Text;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Data larger than memory: each case runs in a child process inside a cgroup v1 memory limit, over the cifar file
/// (at least 4x the limit), after evicting it from the page cache (<see cref="ColdCache"/>); one epoch each. fio
/// measures the device's own random-read figure on the same file in the same run, before the first case and after every
/// case, so each epoch is rated against the device as it was just before and just after it.
/// </summary>
internal static class ColdBenchmark
{
    private const int PageBytes = 4096;

    public static int Run(Options options)
    {
        string dir = options.Data;
        int limitMiB = options.GetInt("limit-mib", 400);
        int timeout = options.GetInt("timeout-s", 90);
        int rowCount = options.GetInt("rows", 160_000);
        int rounds = options.GetInt("rounds", 1);
        int fioSeconds = options.GetInt("fio-s", 3);
        int queueDepth = options.GetInt("iodepth", 32);
        string drop = ColdCache.Mode(options);
        Workload w = Workload.ColdCifar(rowCount);
        w.EnsureWritten(dir);
        string images = w.ImagesPath(dir);
        long fileBytes = new FileInfo(images).Length;
        if (fileBytes < 4L * limitMiB * 1024 * 1024)
            Console.Error.WriteLine($"warning: the file ({fileBytes >> 20} MiB) is less than 4x the limit ({limitMiB} MiB)");
        if (MemoryCgroup.Unavailable is { } why)
        {
            Console.Error.WriteLine(why);
            return 1;
        }
        bool fio = options.Get("fio", "true") == "true";
        if (fio && !FioReference.IsAvailable())
        {
            Console.Error.WriteLine("fio is not installed (Debian/Ubuntu: apt-get install fio); run with --fio false to measure without the device figure.");
            return 1;
        }
        List<string> cases = Cases(options);
        List<string> dataFiles = [images, w.LabelsPath(dir)];
        if (cases.Any(c => c.Split(':').ElementAtOrDefault(2)?.Split('-').Contains("page") == true))
        {
            Workload page = Workload.ColdCifar(rowCount, pageAligned: true);
            page.EnsureWritten(dir);
            dataFiles.AddRange([page.ImagesPath(dir), page.LabelsPath(dir)]);
        }
        // The block sizes fio reads: the row rounded up to whole pages (what a page-aligned row costs), and the page span an
        // actual row of this file covers, its data starting mid-page (what the loader asks the disk for per row).
        long dataOffset = fileBytes - w.ImageBytes;
        int rowPages = (int)((w.SampleBytes + PageBytes - 1) / PageBytes * PageBytes);
        int rowSpan = (int)(((dataOffset % PageBytes) + w.SampleBytes + PageBytes - 1) / PageBytes * PageBytes);
        int[] blockSizes = rowSpan == rowPages ? [rowPages] : [rowPages, rowSpan];

        var results = new Dictionary<string, List<CaseRun>>(StringComparer.Ordinal);
        var fioResults = blockSizes.ToDictionary(b => b, _ => new List<FioReference.Result>());
        string startLoad = Load();
        DateTime start = DateTime.UtcNow;
        using (MemoryCgroup cgroup = MemoryCgroup.Create("cold", limitMiB))
        {
            // The disk's random-read rate drifts by a fifth within minutes on a shared virtual machine, so each epoch is rated
            // against the fio runs on either side of it, after the data files are read through once and an untimed second of
            // fio.
            if (fio)
            {
                ColdCache.WakeDisk(dataFiles);
                _ = FioReference.RandRead(images, rowPages, queueDepth, 1);
            }
            double before = fio ? RunFio(images, blockSizes, queueDepth, fioSeconds, fioResults, rowPages) : double.NaN;
            for (int round = 0; round < rounds; round++)
            {
                // Alternate the order of the cases from round to round, so slow spells of the shared machine fall on all of them.
                IEnumerable<string> ordered = round % 2 == 0 ? cases : Enumerable.Reverse(cases);
                foreach (string c in ordered)
                {
                    (RunResult R, long CgroupPeak)? r = RunCase(c, cgroup, limitMiB, rowCount, dir, timeout, drop);
                    double after = fio ? RunFio(images, blockSizes, queueDepth, fioSeconds, fioResults, rowPages) : double.NaN;
                    if (r is { } run)
                    {
                        if (!results.TryGetValue(c, out var list))
                            results[c] = list = [];
                        list.Add(new CaseRun(run.R, run.CgroupPeak, (before + after) / 2));
                    }
                    before = after;
                }
            }
        }
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{start:yyyy-MM-dd HH:mm}-{DateTime.UtcNow:HH:mm} UTC, {Environment.ProcessorCount} cores, load average {startLoad} at the start, {Load()} at the end");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"float32 (N, 3, 32, 32) images, {fileBytes / 1048576.0:F0} MiB, in a {limitMiB} MiB cgroup ({fileBytes / (limitMiB * 1048576.0):F1}x), {ColdCache.Describe(drop)} before each epoch; batch 256 unless the case sets bB; {rounds} round(s), medians");
        sb.AppendLine();
        if (fio)
            sb.AppendLine(FioTable(fioResults, queueDepth, fioSeconds));
        sb.AppendLine(Table(cases, results, rowPages));
        Console.WriteLine(sb.ToString());
        return 0;
    }

    // --cases wins; otherwise the default configuration, the num_workers x prefetch_factor grid in random order, and the
    // loader's sequential and block-shuffled orders.
    private static List<string> Cases(Options options)
    {
        string[] given = options.GetList("cases", []);
        if (given.Length > 0)
            return [.. given];
        var cases = new List<string> { "default:random", "default:random:e2", "default:random:page", "default:random:b2048" };
        foreach (string workers in options.GetList("workers", ["1", "2", "4"]))
        {
            foreach (string prefetch in options.GetList("prefetch", ["2", "4", "8"]))
                cases.Add($"loader:random:w{workers}-p{prefetch}");
        }
        cases.Add("loader:random:w2-p4-page");
        cases.Add("loader:random:w2-p4-b2048");
        cases.Add("loader:sequential:w2-p4");
        cases.Add("loader:block:w2-p4");
        return cases;
    }

    // A case is contender:order[:wW-pP[-bB][-eE][-nohints][-page]]; contender is loader (pageHints on unless -nohints),
    // default or naive; bB sets the batch size (256 unless given); eE times the E-th epoch of one loader (the ones before it
    // untimed, the cache emptied again before it); page reads the same rows from the page-aligned file.
    private static (RunResult R, long CgroupPeak)? RunCase(string c, MemoryCgroup cgroup, int limitMiB, int rowCount, string dir, int timeout, string drop)
    {
        string[] parts = c.Split(':');
        string workers = "2", prefetch = "4", hints = "true", page = "false", batch = "256", epochs = "1";
        if (parts.Length > 2)
        {
            foreach (string setting in parts[2].Split('-'))
            {
                if (setting == "page")
                    page = "true";
                else if (setting == "nohints")
                    hints = "false";
                else if (setting.StartsWith('w') && int.TryParse(setting[1..], CultureInfo.InvariantCulture, out _))
                    workers = setting[1..];
                else if (setting.StartsWith('p') && int.TryParse(setting[1..], CultureInfo.InvariantCulture, out _))
                    prefetch = setting[1..];
                else if (setting.StartsWith('b') && int.TryParse(setting[1..], CultureInfo.InvariantCulture, out int b) && b > 0)
                    batch = setting[1..];
                else if (setting.StartsWith('e') && int.TryParse(setting[1..], CultureInfo.InvariantCulture, out int e) && e > 0)
                    epochs = setting[1..];
                else
                    throw new ArgumentException($"Unknown setting '{setting}' in case '{c}'; use wW, pP, bB, eE, nohints or page.");
            }
        }
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} cold {c} in {limitMiB} MiB, load {Load()}");
        cgroup.ResetPeak();
        RunResult? r = ChildProcess.Run(
            ["--child", "cold", "--rows", rowCount.ToString(CultureInfo.InvariantCulture), "--contender", parts[0], "--order", parts[1], "--data", dir,
             "--timeout-s", timeout.ToString(CultureInfo.InvariantCulture), "--workers", workers, "--prefetch", prefetch, "--hints", hints, "--page", page, "--batch", batch, "--epochs", epochs, "--drop", drop],
            shellPrefix: cgroup.ShellPrefix,
            timeout: TimeSpan.FromSeconds(timeout + 120));
        long peak = cgroup.PeakBytes;
        if (r is null)
            return null;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {r.GBps:F3} GB/s, {r.EpochSeconds[0]:F1} s for {r.Samples} samples, {r.MajorFaults} major faults, {r.CpuSecondsPerGB:F2} CPU s/GB"));
        return (r, peak);
    }

    // Runs fio at each block size; returns the GB/s at ratedBlock (NaN if fio failed).
    private static double RunFio(string path, int[] blockSizes, int queueDepth, int seconds, Dictionary<int, List<FioReference.Result>> results, int ratedBlock)
    {
        double rated = double.NaN;
        foreach (int bs in blockSizes)
        {
            if (FioReference.RandRead(path, bs, queueDepth, seconds) is { } r)
            {
                results[bs].Add(r);
                if (bs == ratedBlock)
                    rated = r.GBps;
            }
        }
        return rated;
    }

    private static string FioTable(Dictionary<int, List<FioReference.Result>> results, int queueDepth, int seconds)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Device: `fio --direct=1 --ioengine=io_uring --rw=randread --iodepth={queueDepth} --numjobs=1 --runtime={seconds} --time_based` on the same file, before the first case and after every case:");
        sb.AppendLine();
        sb.AppendLine("| fio block size | runs | GB/s (median) | GB/s (lowest-highest) | IOPS (median) | CPU s/GB |");
        sb.AppendLine("| ---: | ---: | ---: | --- | ---: | ---: |");
        foreach ((int bs, List<FioReference.Result> runs) in results)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {bs} | {runs.Count} | {Median(runs.Select(r => r.GBps)):F3} | {runs.Min(r => r.GBps):F3}-{runs.Max(r => r.GBps):F3} | {Median(runs.Select(r => r.Iops)):F0} | {Median(runs.Select(r => r.CpuSecondsPerGB)):F2} |");
        }
        return sb.ToString();
    }

    private static string Table(List<string> cases, Dictionary<string, List<CaseRun>> results, int fioBlock)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"| case | samples read | time s | GB/s | x fio {fioBlock} | x fio (each round) | GB/s (each round) | CPU s/GB | major faults | peak RSS MiB | peak anon MiB | cgroup peak MiB |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (string c in cases)
        {
            if (!results.TryGetValue(c, out var runs))
                continue;
            // The round with the median speed stands for the case; the others are listed beside it.
            var sorted = runs.OrderBy(r => r.R.GBps).ToList();
            (RunResult r, long peak, _) = sorted[(sorted.Count - 1) / 2];
            double gbps = Median(runs.Select(x => x.R.GBps));
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {c} | {r.Samples} | {r.EpochSeconds[0]:F1} | {gbps:F3} | {Median(runs.Select(x => x.Ratio)):F2} | {string.Join(" ", runs.Select(x => x.Ratio.ToString("F2", CultureInfo.InvariantCulture)))} | {string.Join(" ", runs.Select(x => x.R.GBps.ToString("F3", CultureInfo.InvariantCulture)))} | {Median(runs.Select(x => x.R.CpuSecondsPerGB)):F2} | {r.MajorFaults} | {r.PeakRssKiB / 1024.0:F0} | {r.PeakAnonKiB / 1024.0:F0} | {peak / 1048576.0:F0} |");
        }
        return sb.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] s = values.Order().ToArray();
        if (s.Length == 0)
            return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>One epoch of a case: its result, its cgroup's peak, and fio's GB/s around it (the mean of the runs just before
    /// and just after; NaN without fio).</summary>
    private readonly record struct CaseRun(RunResult R, long CgroupPeak, double FioAround)
    {
        public double Ratio => R.GBps / FioAround;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
