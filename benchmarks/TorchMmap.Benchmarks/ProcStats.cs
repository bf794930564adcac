using System.Globalization;

namespace TorchMmap.Benchmarks;

/// <summary>Reads this process's memory and fault counters from /proc (Linux only; zeros elsewhere).</summary>
internal sealed class ProcStats : IDisposable
{
    private readonly Thread? _thread;
    private volatile bool _stop;
    private long _peakAnonKiB;

    private ProcStats(bool sample)
    {
        if (!sample || !OperatingSystem.IsLinux())
            return;
        // Peak anonymous RSS has no kernel counter: sample it every few milliseconds.
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                long anon = Status("RssAnon");
                if (anon > Interlocked.Read(ref _peakAnonKiB))
                    Interlocked.Exchange(ref _peakAnonKiB, anon);
                Thread.Sleep(5);
            }
        })
        { IsBackground = true, Name = "rss-sampler" };
        _thread.Start();
    }

    public static ProcStats StartSampling() => new(sample: true);

    public long PeakAnonKiB => Math.Max(Interlocked.Read(ref _peakAnonKiB), Status("RssAnon"));

    /// <summary>A field of /proc/self/status in KiB (VmHWM, VmRSS, RssAnon, RssFile).</summary>
    public static long Status(string field)
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>Major page faults of this process so far (field 12 of /proc/self/stat).</summary>
    public static long MajorFaults()
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        string stat = File.ReadAllText("/proc/self/stat");
        // The command name may hold spaces; fields are counted after its closing parenthesis.
        string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[9], CultureInfo.InvariantCulture);
    }

    /// <summary>Bytes this process caused to be read from storage so far (read_bytes of /proc/self/io: page faults and read-ahead included).</summary>
    public static long DiskReadBytes()
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        foreach (string line in File.ReadLines("/proc/self/io"))
        {
            if (line.StartsWith("read_bytes:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan("read_bytes:".Length).Trim(), CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>Resets VmHWM to the current RSS (writing 5 to /proc/self/clear_refs).</summary>
    public void ResetPeaks()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        Interlocked.Exchange(ref _peakAnonKiB, Status("RssAnon"));
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
    }
}
