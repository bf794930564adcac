using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TorchMmap.Internal;

// The file-status and space calls the file writers need on Linux.
internal static unsafe partial class LibC
{
    public const int ENoEnt = 2;
    public const int ENoSpc = 28;

    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;

    // struct statx has one layout on every architecture (linux/stat.h): these are its field offsets.
    private const int StatxUidOffset = 20;
    private const int StatxGidOffset = 24;
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;
    private const int StatxCTimeOffset = 96;
    private const int AtEmptyPath = 0x1000;

    private const int FileTypeMask = 0xF000;
    private const int RegularFileType = 0x8000;

    /// <summary>What <c>stat</c> says of a file: its type and permission bits, and its owner.</summary>
    public readonly record struct FileStatus(int Mode, uint Uid, uint Gid)
    {
        public bool IsRegular => (Mode & FileTypeMask) == RegularFileType;

        public bool IsDirectory => (Mode & FileTypeMask) == 0x4000;

        public UnixFileMode Permissions => (UnixFileMode)(Mode & 0xFFF);

        /// <summary>The file type in words, for messages.</summary>
        public string Kind => (Mode & FileTypeMask) switch
        {
            RegularFileType => "a regular file",
            0x4000 => "a directory",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0x1000 => "a FIFO (named pipe)",
            0xC000 => "a socket",
            _ => "a special file",
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(SafeFileHandle fd, long offset, long length);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChown(SafeFileHandle fd, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEUid();

    /// <summary>The status of <paramref name="path"/> (symbolic links followed), or null when nothing is there.</summary>
    /// <exception cref="IOException">The status cannot be read for another reason.</exception>
    public static FileStatus? Stat(string path)
    {
        FileStatus? status = TryStat(path, out int errno);
        if (status is null && errno != ENoEnt)
            throw new IOException(Messages.Format(Messages.StatFailed, path, Marshal.GetPInvokeErrorMessage(errno)));
        return status;
    }

    /// <summary>The status of <paramref name="path"/> (symbolic links followed), or null with the error number when it cannot be
    /// had (ENOENT: nothing is there; 0: this C library has no <c>statx</c>). Every file-type check of the readers and writers
    /// asks this one call.</summary>
    public static FileStatus? TryStat(string path, out int errno)
    {
        byte* buffer = stackalloc byte[StatxSize];
        try
        {
            if (StatX(AtFdCwd, path, 0, StatxBasicStats, buffer) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            errno = 0;
            return null;
        }
        errno = 0;
        return new FileStatus(*(ushort*)(buffer + StatxModeOffset), *(uint*)(buffer + StatxUidOffset), *(uint*)(buffer + StatxGidOffset));
    }

    /// <summary>When an open file last changed, as (status-change time in nanoseconds, size), or null when <c>statx</c> cannot
    /// say. Any write, truncation or change of its times moves the status-change time, which no call can set back.</summary>
    public static (long ChangedNs, long Size)? TryChangeStamp(SafeFileHandle file)
    {
        byte* buffer = stackalloc byte[StatxSize];
        try
        {
            if (StatX((int)file.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, buffer) != 0)
                return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        long changedNs = *(long*)(buffer + StatxCTimeOffset) * 1_000_000_000L + *(uint*)(buffer + StatxCTimeOffset + 8);
        return (changedNs, *(long*)(buffer + StatxSizeOffset));
    }

    /// <summary>Allocates the blocks of [0, <paramref name="length"/>) and extends the file to it.</summary>
    /// <returns>0, or the error number (ENOSPC when the disk is full).</returns>
    public static int Allocate(SafeFileHandle fd, long length) => PosixFallocate(fd, 0, length);

    /// <summary>Gives the file to <paramref name="uid"/>/<paramref name="gid"/>.</summary>
    /// <returns>True on success.</returns>
    public static bool ChangeOwner(SafeFileHandle fd, uint uid, uint gid) => FChown(fd, uid, gid) == 0;
}
