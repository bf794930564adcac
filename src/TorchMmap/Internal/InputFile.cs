namespace TorchMmap.Internal;

/// <summary>
/// Opens the files the readers read. Opening a FIFO for reading blocks until a writer appears, possibly forever, and a
/// character device (/dev/zero, a terminal) never ends; so anything that is not a regular file is refused, by its type,
/// before it is opened.
/// </summary>
internal static class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading (or reading and writing), refusing anything but a regular file first.</summary>
    /// <exception cref="IOException">The path is a directory, FIFO, socket or device, or cannot be opened.</exception>
    public static FileStream Open(string path, FileAccess access = FileAccess.Read, int bufferSize = 1, FileShare share = FileShare.ReadWrite | FileShare.Delete)
    {
        ThrowIfNotRegularFile(path);
        return new FileStream(path, FileMode.Open, access, share, bufferSize);
    }

    /// <summary>Throws unless <paramref name="path"/> (after symbolic links) is a regular file or its status cannot be had (it does
    /// not exist, or a directory on the way cannot be searched: opening it then fails as usual; or no statx).</summary>
    /// <exception cref="IOException">The path is a directory, FIFO, socket or device.</exception>
    public static void ThrowIfNotRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (Directory.Exists(path))
                throw new IOException(Messages.Format(Messages.NotRegularInput, path, "a directory"));
            return;
        }
        if (LibC.TryStat(path, out _) is { IsRegular: false } status)
            throw new IOException(Messages.Format(Messages.NotRegularInput, path, status.Kind));
    }
}
