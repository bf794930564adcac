using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// A new file whose header is known only at the end, written through <see cref="FileReplacement"/> (beside its final
/// path, moved there when complete): the writers of .npy files and token files all write through this.
/// </summary>
/// <remarks>
/// The temporary file starts with a zeroed space for the header; zeros hold no format's magic, so the temporary file
/// never reads as valid. <see cref="Commit"/> writes the header there, flushes to disk and renames the file into place.
/// Disposing before that deletes the temporary file and leaves the path untouched; <see cref="Dispose"/> never throws.
/// Only a regular file (or nothing) may stand at the path: these writers seek back to their header. Not thread safe.
/// </remarks>
internal sealed class PendingFile : IDisposable
{
    private readonly FileReplacement _file;

    private PendingFile(string path, FileReplacement file, int headerLength)
    {
        Path = path;
        _file = file;
        HeaderLength = headerLength;
    }

    /// <summary>The final path.</summary>
    public string Path { get; }

    /// <summary>The temporary file written until <see cref="Commit"/>.</summary>
    public string TempPath => _file.TempPath!;

    /// <summary>The bytes reserved at the start for the header.</summary>
    public int HeaderLength { get; }

    /// <summary>True once <see cref="Commit"/> has moved the file into place.</summary>
    public bool IsCommitted { get; private set; }

    /// <summary>True once committed or disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>The open temporary file, positioned after what was written so far.</summary>
    /// <exception cref="ObjectDisposedException">The file was committed or disposed.</exception>
    public FileStream Stream => IsDisposed
        ? throw new ObjectDisposedException(nameof(PendingFile), Messages.Format(Messages.PendingFileClosed, Path))
        : _file.Stream;

    /// <summary>Creates the temporary file for <paramref name="path"/> with <paramref name="headerLength"/> zero bytes reserved.</summary>
    /// <exception cref="IOException">The temporary file cannot be created, or something other than a regular file is at the path.</exception>
    public static PendingFile Create(string path, int headerLength, int bufferSize)
    {
        // Readers may look at the temporary file (it must read as invalid); no one else may write it.
        FileReplacement file = FileReplacement.Begin(path, FileAccess.ReadWrite, FileShare.Read, bufferSize, regularOnly: true);
        try
        {
            file.Stream.Write(new byte[headerLength]);
            return new PendingFile(path, file, headerLength);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="header"/> over the reserved bytes, flushes the file to disk and moves it to <see cref="Path"/>.</summary>
    /// <exception cref="IOException">The file cannot be written or moved; the temporary file is then deleted.</exception>
    public void Commit(ReadOnlySpan<byte> header)
    {
        FileStream stream = Stream;
        if (header.Length != HeaderLength)
            throw new ArgumentException(Messages.Format(Messages.PendingHeaderLength, header.Length, HeaderLength), nameof(header));
        try
        {
            stream.Flush();
            if (header.Length > 0)
            {
                stream.Position = 0;
                stream.Write(header);
            }
            _file.Commit();
            IsCommitted = true;
        }
        finally
        {
            // Committed or not, the file is closed; a failure deletes the temporary file.
            Dispose();
        }
    }

    /// <summary>Closes the file; if it was not committed, deletes the temporary file. Never throws; calling it again does nothing.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        _file.Dispose();
    }
}
