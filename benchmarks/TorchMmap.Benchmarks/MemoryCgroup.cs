using System.Globalization;

namespace TorchMmap.Benchmarks;

/// <summary>A cgroup v1 memory cgroup with a limit, for child processes that must run in less memory than their file.</summary>
internal sealed class MemoryCgroup : IDisposable
{
    private const string Root = "/sys/fs/cgroup/memory";
    private readonly string _path;

    private MemoryCgroup(string path, long limitBytes)
    {
        _path = path;
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "memory.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Why no cgroup can be made here, or null when one can.</summary>
    public static string? Unavailable => Directory.Exists(Root) ? null : $"{Root} does not exist: this needs cgroup v1 and root.";

    public static MemoryCgroup Create(string name, int limitMiB) =>
        new(Path.Combine(Root, $"torchmmap-{name}-{Environment.ProcessId}"), limitMiB * 1024L * 1024);

    /// <summary>The shell prefix that moves the child into the cgroup before it starts.</summary>
    public string ShellPrefix => $"echo $$ > {_path}/cgroup.procs &&";

    /// <summary>Forgets the peak usage so far.</summary>
    public void ResetPeak() => File.WriteAllText(Path.Combine(_path, "memory.max_usage_in_bytes"), "0");

    /// <summary>The peak usage (process memory and page cache) since <see cref="ResetPeak"/>.</summary>
    public long PeakBytes => long.Parse(File.ReadAllText(Path.Combine(_path, "memory.max_usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);

    // The cgroup can only be removed once empty: every child has exited by then.
    public void Dispose() => Directory.Delete(_path);
}
