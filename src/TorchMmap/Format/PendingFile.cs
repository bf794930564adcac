namespace TorchMmap.Format;

/// <summary>
/// A new file written beside its final path and moved there only when complete, so an incomplete file never appears at the
/// path: the writers of .npy files and token files all write through this.
/// </summary>
/// <remarks>
/// The temporary file (<c>.name.GUID.tmp</c> in the same folder, so the move is a rename) starts with a zeroed space for a
/// header that is only known at the end; zeros hold no format's magic, so the temporary file never reads as valid.
/// <see cref="Commit"/> writes the header there, flushes to disk and renames the file into place, replacing any previous
/// file. Disposing before that deletes the temporary file and leaves the path untouched. Not thread safe.
/// </remarks>
internal sealed class PendingFile : IDisposable
{
    private FileStream? _stream;

    private PendingFile(string path, string tempPath, FileStream stream, int headerLength)
    {
        Path = path;
        TempPath = tempPath;
        _stream = stream;
        HeaderLength = headerLength;
    }

    /// <summary>The final path.</summary>
    public string Path { get; }

    /// <summary>The temporary file written until <see cref="Commit"/>.</summary>
    public string TempPath { get; }

    /// <summary>The bytes reserved at the start for the header.</summary>
    public int HeaderLength { get; }

    /// <summary>True once <see cref="Commit"/> has moved the file into place.</summary>
    public bool IsCommitted { get; private set; }

    /// <summary>The open temporary file, positioned after what was written so far.</summary>
    /// <exception cref="ObjectDisposedException">The file was committed or disposed.</exception>
    public FileStream Stream => _stream ?? throw new ObjectDisposedException(nameof(PendingFile), $"The file being written for '{Path}' is closed.");

    /// <summary>Creates the temporary file beside <paramref name="path"/> with <paramref name="headerLength"/> zero bytes reserved.</summary>
    /// <exception cref="IOException">The temporary file cannot be created.</exception>
    public static PendingFile Create(string path, int headerLength, int bufferSize)
    {
        string full = System.IO.Path.GetFullPath(path);
        string temp = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        // Readers may look at the temporary file (it must read as invalid); no one else may write it.
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize);
        try
        {
            stream.Write(new byte[headerLength]);
            return new PendingFile(path, temp, stream, headerLength);
        }
        catch
        {
            stream.Dispose();
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="header"/> over the reserved bytes, flushes the file to disk and moves it to <see cref="Path"/>.</summary>
    /// <exception cref="IOException">The file cannot be written or moved; the temporary file is then deleted.</exception>
    public void Commit(ReadOnlySpan<byte> header)
    {
        FileStream stream = Stream;
        if (header.Length != HeaderLength)
            throw new ArgumentException($"The header is {header.Length} bytes; {HeaderLength} were reserved.", nameof(header));
        try
        {
            stream.Flush();
            if (header.Length > 0)
            {
                stream.Position = 0;
                stream.Write(header);
            }
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            // A failed fix-up leaves nothing behind.
            Dispose();
            throw;
        }
        _stream = null;
        stream.Dispose();
        try
        {
            File.Move(TempPath, Path, overwrite: true);
        }
        catch
        {
            // The temporary file now holds a valid header: never leave it behind.
            File.Delete(TempPath);
            throw;
        }
        IsCommitted = true;
    }

    /// <summary>Closes the file; if it was not committed, deletes the temporary file. Calling it again does nothing.</summary>
    public void Dispose()
    {
        FileStream? stream = Interlocked.Exchange(ref _stream, null);
        if (stream is null)
            return;
        stream.Dispose();
        if (!IsCommitted)
            File.Delete(TempPath);
    }
}
