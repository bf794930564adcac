using System.Globalization;

namespace TinyGpt;

/// <summary>The process's memory, from <c>/proc/self/status</c> (Linux).</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident memory (VmHWM) in bytes, or null where /proc is not available.</summary>
    /// <returns>The peak, or null.</returns>
    public static long? PeakResidentBytes() => Field("VmHWM");

    /// <summary>Resident anonymous memory now (RssAnon) in bytes, or null where /proc is not available.</summary>
    /// <returns>The size, or null.</returns>
    public static long? AnonymousBytes() => Field("RssAnon");

    private static long? Field(string name)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            return null;
        foreach (string line in File.ReadLines(status))
        {
            // "VmHWM:	  123456 kB"
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                string[] parts = line[(name.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib) ? kib * 1024 : null;
            }
        }
        return null;
    }
}
