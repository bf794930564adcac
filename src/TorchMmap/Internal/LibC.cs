using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TorchMmap.Internal;

/// <summary>
/// The few libc calls the library makes on Linux: paging hints (advisory: failures are ignored), file leases, and copies
/// the kernel performs (<c>process_vm_readv</c>/<c>process_vm_writev</c> on this process's own mappings, <c>pread</c>/<c>pwrite</c>),
/// which report a page the file no longer backs as an error code where a plain load would raise SIGBUS.
/// </summary>
internal static unsafe partial class LibC
{
    public const int MadvNormal = 0;
    public const int MadvRandom = 1;
    public const int MadvSequential = 2;
    public const int MadvWillNeed = 3;

    // fcntl commands and lease types (the same numbers on every Linux architecture).
    public const int FSetSig = 10;
    public const int FSetLease = 1024;
    public const int FGetLease = 1025;
    public const int FRdLck = 0;
    public const int FWrLck = 1;
    public const int FUnLck = 2;

    // SIGURG: ignored by default, unused by the .NET runtime, the same number on x86-64 and arm64.
    public const int SigUrg = 23;

    public const int EPerm = 1;
    public const int EIntr = 4;
    public const int EFault = 14;
    public const int ENoSys = 38;

    /// <summary>The most iovecs one <c>process_vm_readv</c> call takes (IOV_MAX).</summary>
    public const int IovMax = 1024;

    private static readonly long s_pageSize = Environment.SystemPageSize;

    /// <summary>One (address, length) pair of a vectored call.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int MAdvise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(SafeFileHandle fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "process_vm_readv", SetLastError = true)]
    public static partial nint ProcessVmReadv(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    [LibraryImport("libc", EntryPoint = "process_vm_writev", SetLastError = true)]
    public static partial nint ProcessVmWritev(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial nint PRead(SafeFileHandle fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint PWrite(SafeFileHandle fd, byte* buffer, nuint count, long offset);

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
