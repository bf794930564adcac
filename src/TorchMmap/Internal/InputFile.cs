using System.Runtime.InteropServices;

namespace TorchMmap.Internal;

/// <summary>
/// Opens the files the readers read. Opening a FIFO for reading blocks until a writer appears, possibly forever, and a
/// character device (/dev/zero, a terminal) never ends; so anything that is not a regular file is refused, by its type,
/// before it is opened.
/// </summary>
internal static unsafe partial class InputFile
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;    // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    /// <summary>Opens <paramref name="path"/> for reading (or reading and writing), refusing anything but a regular file first.</summary>
    /// <exception cref="IOException">The path is a directory, FIFO, socket or device, or cannot be opened.</exception>
    public static FileStream Open(string path, FileAccess access = FileAccess.Read, int bufferSize = 1, FileShare share = FileShare.ReadWrite | FileShare.Delete)
    {
        ThrowIfNotRegularFile(path);
        return new FileStream(path, FileMode.Open, access, share, bufferSize);
    }

    /// <summary>Throws unless <paramref name="path"/> (after symbolic links) is a regular file or does not exist (opening it
    /// then fails as usual). Where the file type cannot be asked for (no statx), nothing is checked.</summary>
    /// <exception cref="IOException">The path is a directory, FIFO, socket or device.</exception>
    public static void ThrowIfNotRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (Directory.Exists(path))
                throw new IOException(Messages.Format(Messages.NotRegularInput, path, "a directory"));
            return;
        }
        byte* buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
                return;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return;
        }
        int type = *(ushort*)(buffer + StatxModeOffset) & 0xF000;
        string? kind = type switch
        {
            0x8000 => null,
            0x4000 => "a directory",
            0x1000 => "a FIFO (named pipe)",
            0xC000 => "a socket",
            0x2000 => "a character device",
            0x6000 => "a block device",
            _ => "not a regular file",
        };
        if (kind is not null)
            throw new IOException(Messages.Format(Messages.NotRegularInput, path, kind));
    }
}
