using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace TorchMmap.Benchmarks;

/// <summary>
/// The device's own random-read figure, measured by fio on the benchmark's data file: O_DIRECT reads through io_uring, so
/// no page cache is involved and the figure is what the disk itself delivers at that block size and queue depth.
/// </summary>
internal static class FioReference
{
    /// <summary>What one fio run measured.</summary>
    public sealed record Result(int BlockSize, int QueueDepth, double GBps, double Iops, double CpuSecondsPerGB);

    /// <summary>True when the fio program can be started.</summary>
    public static bool IsAvailable()
    {
        try
        {
            using Process p = Process.Start(new ProcessStartInfo("fio", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Random reads of <paramref name="blockSize"/> bytes over the whole of <paramref name="path"/> for <paramref name="seconds"/> seconds.</summary>
    /// <returns>The figures, or null (with the reason on standard error) when fio failed.</returns>
    public static Result? RandRead(string path, int blockSize, int queueDepth, int seconds) =>
        Run(path, "randread", blockSize, queueDepth, ["--rw=randread", $"--runtime={seconds}", "--time_based"], seconds);

    /// <summary>Reads the whole of <paramref name="path"/> once, in order, in 1 MiB reads with O_DIRECT; the page cache stays
    /// as it was (fio would otherwise drop the file's cached pages first, making a file the run keeps warm, such as an
    /// index read at open, cold).</summary>
    /// <returns>The figures, or null (with the reason on standard error) when fio failed.</returns>
    public static Result? ReadThrough(string path) =>
        Run(path, "readthrough", 1 << 20, 8, ["--rw=read", "--invalidate=0"], seconds: null);

    // seconds: the run's length for the processor time per GB; null to take it from fio's report.
    private static Result? Run(string path, string name, int blockSize, int queueDepth, string[] pattern, int? seconds)
    {
        long size = new FileInfo(path).Length;
        string[] args =
        [
            $"--name={name}", "--direct=1", "--ioengine=io_uring", .. pattern, $"--bs={blockSize}", $"--iodepth={queueDepth}",
            "--numjobs=1", $"--size={size}", $"--filename={path}", "--output-format=json",
        ];
        Console.Error.WriteLine("fio " + string.Join(' ', args));
        var psi = new ProcessStartInfo("fio") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        string json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Console.Error.WriteLine($"  fio exited with {p.ExitCode}: {error.Result.Trim()}");
            return null;
        }
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement job = doc.RootElement.GetProperty("jobs")[0];
        JsonElement read = job.GetProperty("read");
        double bytesPerSecond = read.GetProperty("bw_bytes").GetDouble();
        double iops = read.GetProperty("iops").GetDouble();
        // usr_cpu and sys_cpu are percentages of one core over the run.
        double runSeconds = seconds ?? job.GetProperty("job_runtime").GetDouble() / 1000;
        double cpuSeconds = (job.GetProperty("usr_cpu").GetDouble() + job.GetProperty("sys_cpu").GetDouble()) / 100 * runSeconds;
        var result = new Result(blockSize, queueDepth, bytesPerSecond / 1e9, iops, cpuSeconds / (bytesPerSecond * runSeconds / 1e9));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {result.GBps:F3} GB/s, {result.Iops:F0} IOPS"));
        return result;
    }
}
