using System.Globalization;
using System.Text;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Data larger than memory: each case runs in a child process inside a cgroup v1 memory limit, over the cifar file
/// (at least 4x the limit), after dropping the page cache; one epoch each of sequential, block-shuffled and random order.
/// </summary>
internal static class ColdBenchmark
{
    private const string CgroupRoot = "/sys/fs/cgroup/memory";

    public static int Run(Options options)
    {
        string dir = options.Data;
        int limitMiB = options.GetInt("limit-mib", 400);
        int timeout = options.GetInt("timeout-s", 90);
        int rowCount = options.GetInt("rows", 160_000);
        Workload w = Workload.ColdCifar(rowCount);
        w.EnsureWritten(dir);
        long fileBytes = new FileInfo(w.ImagesPath(dir)).Length;
        if (fileBytes < 4L * limitMiB * 1024 * 1024)
            Console.Error.WriteLine($"warning: the file ({fileBytes >> 20} MiB) is less than 4x the limit ({limitMiB} MiB)");
        if (!Directory.Exists(CgroupRoot))
        {
            Console.Error.WriteLine($"{CgroupRoot} does not exist: the cold benchmark needs cgroup v1 and root.");
            return 1;
        }
        string[] cases = options.GetList("cases", ["loader:sequential", "loader:block", "loader:random", "naive:sequential", "naive:block", "naive:random"]);
        string cgroup = Path.Combine(CgroupRoot, $"torchmmap-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(cgroup);
        var rows = new List<(string Case, RunResult R, long CgroupPeak)>();
        try
        {
            File.WriteAllText(Path.Combine(cgroup, "memory.limit_in_bytes"), (limitMiB * 1024L * 1024).ToString(CultureInfo.InvariantCulture));
            foreach (string c in cases)
            {
                string[] parts = c.Split(':');
                Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} cold {c} in {limitMiB} MiB");
                File.WriteAllText(Path.Combine(cgroup, "memory.max_usage_in_bytes"), "0");
                RunResult? r = ChildProcess.Run(
                    ["--child", "cold", "--rows", rowCount.ToString(CultureInfo.InvariantCulture), "--contender", parts[0], "--order", parts[1], "--data", dir, "--timeout-s", timeout.ToString(CultureInfo.InvariantCulture),
                     "--workers", options.Get("workers", "2"), "--prefetch", options.Get("prefetch", "4"), "--hints", options.Get("hints", "true")],
                    shellPrefix: $"echo $$ > {cgroup}/cgroup.procs &&",
                    timeout: TimeSpan.FromSeconds(timeout + 120));
                long peak = long.Parse(File.ReadAllText(Path.Combine(cgroup, "memory.max_usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);
                if (r is not null)
                {
                    rows.Add((c, r, peak));
                    Console.Error.WriteLine($"  {r.GBps:F3} GB/s, {r.EpochSeconds[0]:F1} s for {r.Samples} samples, {r.MajorFaults} major faults");
                }
            }
        }
        finally
        {
            // The cgroup can only be removed once empty: every child has exited by now.
            Directory.Delete(cgroup);
        }
        Console.WriteLine(Table(rows, limitMiB, fileBytes));
        return 0;
    }

    private static string Table(List<(string Case, RunResult R, long CgroupPeak)> rows, int limitMiB, long fileBytes)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"float32 (N, 3, 32, 32) images, {fileBytes / 1048576.0:F0} MiB, in a {limitMiB} MiB cgroup ({fileBytes / (limitMiB * 1048576.0):F1}x), caches dropped before each epoch; batch 256");
        sb.AppendLine();
        sb.AppendLine("| case | samples read | time s | GB/s | x naive random | major faults | peak anon MiB | cgroup peak MiB |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        double naive = rows.FirstOrDefault(r => r.Case == "naive:random").R?.GBps ?? double.NaN;
        foreach ((string c, RunResult r, long peak) in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {c} | {r.Samples} | {r.EpochSeconds[0]:F1} | {r.GBps:F3} | {r.GBps / naive:F1} | {r.MajorFaults} | {r.PeakAnonKiB / 1024.0:F0} | {peak / 1048576.0:F0} |");
        }
        return sb.ToString();
    }
}
