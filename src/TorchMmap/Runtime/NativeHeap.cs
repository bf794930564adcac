using System.Runtime.InteropServices;

namespace TorchMmap.Runtime;

/// <summary>
/// Settings of the C heap that libtorch allocates tensor memory from (glibc's <c>malloc</c> on Linux).
/// </summary>
/// <remarks>
/// <para>
/// A training step frees and reallocates the same large blocks (activations, gradients) every step. By default glibc
/// serves blocks above its mmap threshold (128 KiB, growing to at most 32 MiB) with a fresh <c>mmap</c> and returns them
/// with <c>munmap</c>, and gives free memory at the top of its heaps back to the kernel once it exceeds 128 KiB; every
/// step then faults the same memory in again, page by page, and a CPU training run spends a large share of its
/// processor time in the kernel. <see cref="RetainFreedMemory"/> raises both thresholds, so freed blocks stay in the
/// process and are reused without faults. It is the same as starting the process with
/// <c>GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824</c>, but set from code.
/// </para>
/// <para>
/// The trade-off is memory: the process keeps up to the trim threshold of freed memory per heap instead of returning
/// it, and blocks below the mmap threshold come from the heaps, where fragmentation can hold on to more. Peak memory is
/// what the training step needs anyway; what changes is that it is not given back between steps. Call it once, at the
/// start of a training process, before the first tensor is made.
/// </para>
/// </remarks>
public static partial class NativeHeap
{
    /// <summary>The default mmap threshold of <see cref="RetainFreedMemory"/>: 256 MiB.</summary>
    public const long DefaultMmapThreshold = 256L << 20;

    /// <summary>The default trim threshold of <see cref="RetainFreedMemory"/>: 1 GiB.</summary>
    public const long DefaultTrimThreshold = 1L << 30;

    // glibc's mallopt parameters (malloc.h).
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "gnu_get_libc_version")]
    private static partial nint GnuGetLibcVersion();

    /// <summary>
    /// Keeps freed native memory in the process for reuse instead of returning it to the kernel after every free
    /// (glibc <c>mallopt(M_MMAP_THRESHOLD)</c> and <c>mallopt(M_TRIM_THRESHOLD)</c>); see the remarks for the trade-off.
    /// </summary>
    /// <param name="mmapThreshold">Blocks at least this large are mapped and unmapped on their own; smaller ones come from the heap and are reused.</param>
    /// <param name="trimThreshold">Free memory at the top of a heap is returned to the kernel only beyond this size.</param>
    /// <returns>True when both settings took effect; false when the process does not use glibc (Windows, macOS, musl), where nothing changes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is negative or above <see cref="int.MaxValue"/> (what <c>mallopt</c> takes).</exception>
    public static bool RetainFreedMemory(long mmapThreshold = DefaultMmapThreshold, long trimThreshold = DefaultTrimThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mmapThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mmapThreshold, int.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(trimThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trimThreshold, int.MaxValue);
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            // musl has a mallopt that does nothing; only glibc has gnu_get_libc_version.
            _ = GnuGetLibcVersion();
            return MallOpt(MMmapThreshold, (int)mmapThreshold) == 1 & MallOpt(MTrimThreshold, (int)trimThreshold) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }
}
