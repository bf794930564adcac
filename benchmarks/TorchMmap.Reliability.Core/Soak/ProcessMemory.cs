using System.Globalization;
using System.Runtime.InteropServices;

namespace TorchMmap.Reliability.Soak;

/// <summary>Reads this process's resident memory from <c>/proc/self/status</c> (Linux).</summary>
public static partial class ProcessMemory
{
    /// <summary>
    /// Asks glibc to hand the free memory of every malloc arena back to the system, so the anonymous RSS measured next is
    /// memory still allocated, not pages the allocator keeps for reuse (the native counterpart of a full GC).
    /// </summary>
    /// <returns>True when memory was released; false when nothing was, or the C library is not glibc.</returns>
    public static bool TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            return MallocTrim(0) != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

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

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
