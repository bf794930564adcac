using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TorchMmap.Internal;

// Linux native asynchronous I/O (io_setup/io_submit/io_getevents) and O_DIRECT opens: reads that go from the disk straight
// into our buffers, many in flight from one thread, without the page cache. glibc has no wrappers for these calls, so they
// go through syscall(2) with the architecture's numbers; elsewhere IsAioSupported is false and nothing here is called.
internal static unsafe partial class LibC
{
    /// <summary>IOCB_CMD_PREAD (linux/aio_abi.h).</summary>
    public const ushort IocbCmdPRead = 0;

    public const int EAgain = 11;

    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;

    /// <summary>struct iocb (linux/aio_abi.h, little-endian layout: aio_key before aio_rw_flags).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 64)]
    public struct IoControlBlock
    {
        public ulong Data;
        public uint Key;
        public int ReadWriteFlags;
        public ushort Opcode;
        public short RequestPriority;
        public uint FileDescriptor;
        public ulong Buffer;
        public ulong Bytes;
        public long Offset;
        public ulong Reserved2;
        public uint Flags;
        public uint ResultFd;
    }

    /// <summary>struct io_event: the iocb's data, the iocb, and the result (bytes, or a negated errno).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 32)]
    public struct IoEvent
    {
        public ulong Data;
        public ulong Object;
        public long Result;
        public long Result2;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint a0, nint a1, nint a2, nint a3, nint a4);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    // (io_setup, io_destroy, io_submit, io_getevents): x86-64's own table; arm64 uses the generic one.
    private static readonly (long Setup, long Destroy, long Submit, long GetEvents)? s_aio = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 when OperatingSystem.IsLinux() => (206, 207, 209, 208),
        Architecture.Arm64 when OperatingSystem.IsLinux() => (0, 1, 2, 4),
        _ => null,
    };

    // O_DIRECT differs between architectures (asm-generic/fcntl.h against arm64's own).
    private static int ODirect => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x10000 : 0x4000;

    /// <summary>True where <see cref="AioSetup"/> and the O_DIRECT open can be tried (Linux on x86-64 or arm64).</summary>
    public static bool IsAioSupported => s_aio is not null;

    /// <summary>Opens another file description of the already open <paramref name="file"/> for O_DIRECT reads (through
    /// /proc/self/fd, so it is the same file even if its path now names another one).</summary>
    /// <returns>The handle, or null when the file system refuses O_DIRECT or /proc is not there.</returns>
    public static SafeFileHandle? OpenDirect(SafeFileHandle file)
    {
        int fd = Open($"/proc/self/fd/{file.DangerousGetHandle()}", ORdOnly | OCloExec | ODirect, 0);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Creates an AIO context for up to <paramref name="events"/> requests in flight.</summary>
    /// <returns>0 or an errno.</returns>
    public static int AioSetup(int events, out ulong context)
    {
        ulong ctx = 0;
        long r = Syscall(s_aio!.Value.Setup, events, (nint)(&ctx), 0, 0, 0);
        context = ctx;
        return r < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Destroys an AIO context (waiting for requests still in flight).</summary>
    public static void AioDestroy(ulong context) => _ = Syscall(s_aio!.Value.Destroy, (nint)context, 0, 0, 0, 0);

    /// <summary>Submits <paramref name="count"/> requests.</summary>
    /// <returns>The number submitted (possibly fewer), or a negated errno.</returns>
    public static long AioSubmit(ulong context, int count, IoControlBlock** requests)
    {
        long r = Syscall(s_aio!.Value.Submit, (nint)context, count, (nint)requests, 0, 0);
        return r < 0 ? -Marshal.GetLastPInvokeError() : r;
    }

    /// <summary>Waits for at least <paramref name="min"/> completions and takes up to <paramref name="max"/>.</summary>
    /// <returns>The number taken, or a negated errno (EINTR: call again).</returns>
    public static long AioGetEvents(ulong context, int min, int max, IoEvent* events)
    {
        long r = Syscall(s_aio!.Value.GetEvents, (nint)context, min, max, (nint)events, 0);
        return r < 0 ? -Marshal.GetLastPInvokeError() : r;
    }
}
