using System.Globalization;

namespace TorchMmap.Internal;

/// <summary>
/// The memory this process may use: the smallest of the machine's memory and the limits of the memory cgroups it runs in
/// (v2 <c>memory.max</c>, v1 <c>memory.limit_in_bytes</c>, its own cgroup and every ancestor). The page cache a process
/// fills is charged to its cgroup, so a file larger than this cannot stay cached however it is read.
/// </summary>
internal static class MemoryBudget
{
    private static readonly Lazy<long> s_bytes = new(Read);

    /// <summary>The budget in bytes, read once per process; <see cref="long.MaxValue"/> where it cannot be read (not Linux).</summary>
    public static long Bytes => s_bytes.Value;

    private static long Read()
    {
        if (!OperatingSystem.IsLinux())
            return long.MaxValue;
        long budget = MemTotal();
        try
        {
            foreach (string line in File.ReadLines("/proc/self/cgroup"))
            {
                // v2: "0::/path"; v1: "N:controllers:/path", of which only the memory controller matters.
                string[] parts = line.Split(':', 3);
                if (parts.Length != 3)
                    continue;
                if (parts[0] == "0" && parts[1].Length == 0)
                    budget = Math.Min(budget, SmallestLimit("/sys/fs/cgroup", parts[2], "memory.max"));
                else if (parts[1].Split(',').Contains("memory"))
                    budget = Math.Min(budget, SmallestLimit("/sys/fs/cgroup/memory", parts[2], "memory.limit_in_bytes"));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Without /proc the machine's memory is the budget.
        }
        return budget;
    }

    // The smallest limit from the cgroup up to the root of its hierarchy ("max", or a missing file, is no limit).
    private static long SmallestLimit(string root, string path, string file)
    {
        long smallest = long.MaxValue;
        string dir = path.TrimEnd('/');
        while (true)
        {
            string limitFile = Path.Combine(root, dir.TrimStart('/'), file);
            try
            {
                if (File.Exists(limitFile) && long.TryParse(File.ReadAllText(limitFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long limit))
                    smallest = Math.Min(smallest, limit);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
            if (dir.Length == 0)
                return smallest;
            int slash = dir.LastIndexOf('/');
            dir = slash <= 0 ? "" : dir[..slash];
        }
    }

    private static long MemTotal()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal) &&
                    long.TryParse(line.AsSpan("MemTotal:".Length).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
                    return kib * 1024;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return long.MaxValue;
    }
}
