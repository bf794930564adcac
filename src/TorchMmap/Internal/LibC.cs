using System.Runtime.InteropServices;

namespace TorchMmap.Internal;

/// <summary>The few libc calls used for paging hints. Every call is advisory: failures are ignored.</summary>
internal static unsafe partial class LibC
{
    public const int MadvNormal = 0;
    public const int MadvRandom = 1;
    public const int MadvSequential = 2;
    public const int MadvWillNeed = 3;

    private static readonly long s_pageSize = Environment.SystemPageSize;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int MAdvise(nint address, nuint length, int advice);

    /// <summary>Sends <c>madvise</c> for [address, address + length) on Linux, widened to whole pages; a no-op elsewhere.</summary>
    public static void Advise(byte* address, long length, int advice)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
            return;
        long start = (long)address & ~(s_pageSize - 1);
        long end = (long)address + length;
        try
        {
            _ = MAdvise((nint)start, (nuint)(end - start), advice);
        }
        catch (DllNotFoundException)
        {
            // A libc without madvise loses only the hint.
        }
        catch (EntryPointNotFoundException)
        {
        }
    }
}
