using System.Globalization;

namespace TorchMmap.Reliability.Soak;

/// <summary>Reads this process's resident memory from <c>/proc/self/status</c> (Linux).</summary>
public static class ProcessMemory
{
    /// <summary>Resident anonymous and file-backed memory in KiB; the total working set split 0/total elsewhere.</summary>
    /// <returns>(anonymous, file-backed).</returns>
    public static (long AnonKiB, long FileKiB) Resident()
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status))
            return (Environment.WorkingSet / 1024, 0);
        long anon = 0, file = 0;
        foreach (string line in File.ReadLines(Status))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                anon = ParseKiB(line);
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                file = ParseKiB(line);
        }
        return (anon, file);
    }

    private static long ParseKiB(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
}
