using System.Text;
using Microsoft.Win32.SafeHandles;

namespace TorchMmap.Internal;

/// <summary>
/// The one way the library writes a file: into a temporary file beside the target, then renamed over it, so a reader or
/// a crash sees either the old file or the whole new one, and a failure leaves the old file and no temporary.
/// </summary>
/// <remarks>
/// What stood at the path is kept as <c>np.save</c> keeps it (it opens the path and writes): a symbolic link is written
/// through to its final target; anything that is not a regular file (a character device such as <c>/dev/null</c>, a
/// FIFO) is written in place, since renaming over it would replace the node itself; a replaced regular file keeps its
/// mode and owner; a regular file of another user that this user may not give back is written in place, as
/// <c>np.save</c> writes it (or refused, as <c>np.save</c> refuses it, when it is not writable). The temporary name is
/// shortened so it fits the 255-byte name limit whatever the target's name. <see cref="Dispose"/> never throws.
/// Not thread safe.
/// </remarks>
internal sealed class FileReplacement : IDisposable
{
    private const int MaxNameBytes = 255;
    private const string TempSuffix = ".tmp";
    private const int RandomChars = 12;

    private readonly SafeFileHandle _handle;
    private FileStream? _stream;
    private bool _committed;
    private bool _disposed;

    private FileReplacement(string path, string target, string? tempPath, SafeFileHandle handle, FileStream stream)
    {
        Path = path;
        Target = target;
        TempPath = tempPath;
        _handle = handle;
        _stream = stream;
    }

    /// <summary>The path as given, for messages.</summary>
    public string Path { get; }

    /// <summary>Where the data ends up: the path with symbolic links resolved.</summary>
    public string Target { get; }

    /// <summary>The temporary file, or null when the target is written in place.</summary>
    public string? TempPath { get; }

    /// <summary>The stream to write; owned by this object until <see cref="DetachStream"/>.</summary>
    public FileStream Stream => _stream ?? throw new ObjectDisposedException(nameof(FileReplacement));

    /// <summary>Starts replacing the file at <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="access">Write, or ReadWrite for writers that read back or map what they wrote.</param>
    /// <param name="share">What other openers of the temporary file may do.</param>
    /// <param name="bufferSize">The stream's buffer size.</param>
    /// <param name="regularOnly">True to refuse a target that is not a regular file (writers that seek or map).</param>
    /// <exception cref="IOException">The file cannot be created, or <paramref name="regularOnly"/> and the target is not a regular file.</exception>
    /// <exception cref="UnauthorizedAccessException">The target or its folder is not writable.</exception>
    public static FileReplacement Begin(string path, FileAccess access, FileShare share, int bufferSize, bool regularOnly = false)
    {
        string full = System.IO.Path.GetFullPath(path);
        string target = FollowLinks(full, path);
        LibC.FileStatus? existing = OperatingSystem.IsLinux() ? LibC.Stat(target) : null;
        if (existing is { IsRegular: false } || (existing is { } other && !CanKeepOwner(other)))
        {
            if (existing is { IsDirectory: true } || (regularOnly && existing is { IsRegular: false }))
                throw new IOException(Messages.Format(Messages.NotRegularFile, path, existing.Value.Kind));
            return InPlace(path, target, existing.Value.IsRegular, access, share, bufferSize);
        }

        string temp = TempPathFor(target);
        SafeFileHandle handle = File.OpenHandle(temp, FileMode.CreateNew, access, share);
        try
        {
            if (existing is { } replaced && OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(handle, replaced.Permissions);
                // Only the group can fail here (CanKeepOwner checked the user): keep the saver's group then.
                LibC.ChangeOwner(handle, replaced.Uid, replaced.Gid);
            }
            return new FileReplacement(path, target, temp, handle, new FileStream(handle, access, bufferSize));
        }
        catch
        {
            handle.Dispose();
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Allocates the file's blocks up to <paramref name="length"/> bytes and extends it to that length, so writes
    /// through a mapping cannot meet a full disk later.</summary>
    /// <exception cref="IOException">The disk has no room for <paramref name="length"/> bytes.</exception>
    public void Reserve(long length)
    {
        FileStream stream = Stream;
        stream.Flush();
        if (!OperatingSystem.IsLinux())
        {
            stream.SetLength(length);
            return;
        }
        int error = LibC.Allocate(_handle, length);
        if (error != 0)
            throw new IOException(Messages.Format(Messages.ReserveFailed, Path, length, System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(error)), error);
    }

    /// <summary>Flushes the data to disk and moves the temporary file over the target. The stream stays open.</summary>
    /// <exception cref="IOException">The file cannot be flushed or renamed; the temporary file is then deleted by <see cref="Dispose"/>.</exception>
    public void Commit()
    {
        FileStream stream = Stream;
        if (TempPath is null)
        {
            stream.Flush();
            _committed = true;
            return;
        }
        stream.Flush(flushToDisk: true);
        File.Move(TempPath, Target, overwrite: true);
        _committed = true;
    }

    /// <summary>Hands the open stream to the caller, who then owns it; call after <see cref="Commit"/>.</summary>
    public FileStream DetachStream()
    {
        FileStream stream = Stream;
        _stream = null;
        return stream;
    }

    /// <summary>Closes the file; unless committed, deletes the temporary file. Never throws.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        FileStream? stream = _stream;
        _stream = null;
        if (stream is not null)
        {
            try
            {
                // Flushing what is buffered can fail again (a full disk); the handle is closed below regardless.
                stream.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
            }
            finally
            {
                _handle.Dispose();
            }
        }
        if (!_committed && TempPath is not null)
            TryDelete(TempPath);
    }

    private static FileReplacement InPlace(string path, string target, bool regular, FileAccess access, FileShare share, int bufferSize)
    {
        SafeFileHandle handle = File.OpenHandle(target, FileMode.Open, access, share);
        try
        {
            // Truncated as open(..., 'wb') truncates; a device or FIFO has no length to cut.
            if (regular)
                RandomAccess.SetLength(handle, 0);
            var stream = new FileStream(handle, access, regular ? bufferSize : 0);
            return new FileReplacement(path, target, null, handle, stream);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    // As open(2) for np.save: a link is followed to the file it finally names, existing or not.
    private static string FollowLinks(string full, string path)
    {
        const int MaxLinks = 40;   // Linux's limit before ELOOP
        string current = full;
        for (int hops = 0; hops <= MaxLinks; hops++)
        {
            string? link = new FileInfo(current).LinkTarget;
            if (link is null)
                return current;
            current = System.IO.Path.GetFullPath(link, System.IO.Path.GetDirectoryName(current)!);
        }
        throw new IOException(Messages.Format(Messages.TooManyLinks, path, MaxLinks));
    }

    // Root can give any file back to its owner; anyone else keeps the owner only of files they own.
    private static bool CanKeepOwner(LibC.FileStatus existing)
    {
        uint me = LibC.GetEUid();
        return me == 0 || existing.Uid == me;
    }

    // ".<name>.<random>.tmp", with the name shortened (at a character boundary) so the whole fits in NAME_MAX bytes.
    internal static string TempPathFor(string target)
    {
        string name = System.IO.Path.GetFileName(target);
        int budget = MaxNameBytes - 2 - RandomChars - TempSuffix.Length;
        var kept = new StringBuilder();
        int bytes = 0;
        foreach (Rune rune in name.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > budget)
                break;
            bytes += rune.Utf8SequenceLength;
            kept.Append(rune.ToString());
        }
        string random = Guid.NewGuid().ToString("N")[..RandomChars];
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(target)!, $".{kept}.{random}{TempSuffix}");
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
