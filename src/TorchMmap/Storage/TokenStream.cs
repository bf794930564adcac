using System.Runtime.CompilerServices;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// Several token files (shards) read as one stream of tokens, in the order given: token <c>k</c> of the stream is token
/// <c>k - start(i)</c> of the shard <c>i</c> it falls in. Reads widen to int64 and may span shard boundaries.
/// </summary>
/// <remarks>
/// Shards may differ in format and dtype (an llm.c uint16 shard may follow a raw uint32 one). The stream owns the files it
/// opened; one built by <see cref="FromFiles"/> owns them only when asked. Reads are thread safe.
/// </remarks>
public sealed unsafe class TokenStream : IDisposable
{
    private readonly TokenFile[] _files;
    private readonly long[] _starts;   // _starts[i] is the first stream position of file i; _starts[^1] is the total
    private readonly bool _ownsFiles;
    private int _disposed;

    private TokenStream(TokenFile[] files, bool ownsFiles)
    {
        _files = files;
        _ownsFiles = ownsFiles;
        _starts = new long[files.Length + 1];
        for (int i = 0; i < files.Length; i++)
            _starts[i + 1] = checked(_starts[i] + files[i].Count);
    }

    /// <summary>The total number of tokens.</summary>
    public long Count => _starts[^1];

    /// <summary>The files, in stream order.</summary>
    public IReadOnlyList<TokenFile> Files => _files;

    /// <summary>Opens the files at <paramref name="paths"/>, all of one format, as one stream.</summary>
    /// <param name="format">The files' format.</param>
    /// <param name="paths">The files, in stream order.</param>
    /// <param name="dtype">For raw files, the token dtype (null: little-endian uint16, nanoGPT's); null otherwise.</param>
    /// <returns>The stream; dispose it to unmap the files.</returns>
    /// <exception cref="ArgumentException">No paths, an empty path, or a dtype given for a format that records its own.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid token file of that format.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    public static TokenStream Open(TokenFileFormat format, IReadOnlyList<string> paths, string? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
            throw new ArgumentException(Messages.TokenStreamNoFiles, nameof(paths));
        var opened = new List<TokenFile>(paths.Count);
        try
        {
            foreach (string path in paths)
                opened.Add(TokenFile.Open(path, format, dtype));
            return new TokenStream(opened.ToArray(), ownsFiles: true);
        }
        catch
        {
            foreach (TokenFile f in opened)
                f.Dispose();
            throw;
        }
    }

    /// <summary>Opens nanoGPT <c>.bin</c> files (raw little-endian uint16) as one stream.</summary>
    /// <param name="paths">The files, in order.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentException">No paths, or an empty one.</exception>
    /// <exception cref="InvalidDataException">A file is empty or of odd length.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    public static TokenStream OpenNanoGpt(params string[] paths) => Open(TokenFileFormat.Raw, paths);

    /// <summary>Opens llm.c shards as one stream.</summary>
    /// <param name="paths">The shards, in order.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentException">No paths, or an empty one.</exception>
    /// <exception cref="InvalidDataException">A shard is invalid.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    public static TokenStream OpenLlmc(params string[] paths) => Open(TokenFileFormat.Llmc, paths);

    /// <summary>Builds a stream over files the caller opened.</summary>
    /// <param name="files">The files, in stream order.</param>
    /// <param name="ownsFiles">True to dispose the files with the stream.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentException">No files, or a null one.</exception>
    public static TokenStream FromFiles(IReadOnlyList<TokenFile> files, bool ownsFiles = false)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0 || files.Any(f => f is null))
            throw new ArgumentException(Messages.TokenStreamNoFilesOrNull, nameof(files));
        return new TokenStream(files.ToArray(), ownsFiles);
    }

    /// <summary>Copies tokens [<paramref name="start"/>, <paramref name="start"/> + destination.Length) widened to int64.</summary>
    /// <param name="start">The first stream position.</param>
    /// <param name="destination">Where the tokens go.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within the stream.</exception>
    /// <exception cref="InvalidDataException">A file was truncated, or a uint64 token does not fit int64.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a file has been disposed.</exception>
    public void CopyTo(long start, Span<long> destination)
    {
        CheckRange(start, destination.Length, nameof(start));
        using var leases = new LeaseSet(this);
        fixed (long* dst = destination)
            CopyCore(ref leases.Ref, start, destination.Length, dst);
    }

    /// <summary>Reads tokens [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) into a new array.</summary>
    /// <param name="start">The first stream position.</param>
    /// <param name="count">The number of tokens.</param>
    /// <returns>The tokens as int64.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within the stream.</exception>
    /// <exception cref="InvalidDataException">A file was truncated, or a uint64 token does not fit int64.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a file has been disposed.</exception>
    public long[] Read(long start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long[] result = new long[count];
        CopyTo(start, result);
        return result;
    }

    /// <summary>Checks that no file has been truncated since it was opened.</summary>
    /// <exception cref="InvalidDataException">A file is shorter than when it was opened.</exception>
    /// <exception cref="ObjectDisposedException">A file has been disposed.</exception>
    public void EnsureFilesIntact()
    {
        foreach (TokenFile f in _files)
            f.Array.EnsureFileIntact();
    }

    /// <summary>Tells the kernel how the files will be read.</summary>
    /// <param name="pattern">The expected pattern.</param>
    /// <exception cref="ObjectDisposedException">A file has been disposed.</exception>
    public void Advise(NpyAccessPattern pattern)
    {
        foreach (TokenFile f in _files)
            f.Array.Advise(pattern);
    }

    /// <summary>Asks the kernel to start reading tokens [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>); out-of-range parts are ignored.</summary>
    /// <param name="start">The first stream position.</param>
    /// <param name="count">The number of tokens.</param>
    public void WillNeed(long start, long count)
    {
        long end = Math.Min(Count, start + count);
        start = Math.Max(0, start);
        while (start < end)
        {
            int i = FileOf(start);
            long local = start - _starts[i];
            long n = Math.Min(end, _starts[i + 1]) - start;
            _files[i].Array.WillNeedElements(local, n);
            start += n;
        }
    }

    /// <summary>Unmaps the files the stream owns. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !_ownsFiles)
            return;
        foreach (TokenFile f in _files)
            f.Dispose();
    }

    internal void CheckRange(long start, long count, string paramName)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(paramName, start, Messages.Format(Messages.TokenStreamRangeOutside, start, start + count, Count, _files[0].Path, (_files.Length > 1 ? $" and {_files.Length - 1} more files" : "")));
    }

    /// <summary>Widens tokens [start, start + count) to <paramref name="dst"/>, taking a lease on each file the range touches
    /// the first time it does (so a batch costs one length check per file, not one per window).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void CopyCore(ref Leases leases, long start, long count, long* dst)
    {
        while (count > 0)
        {
            int i = FileOf(start);
            long local = start - _starts[i];
            long n = Math.Min(count, _starts[i + 1] - start);
            _files[i].Array.WidenTokens(leases.Get(i), local, n, dst);
            dst += n;
            start += n;
            count -= n;
        }
    }

    // The file holding stream position `position` (< Count); empty files are skipped.
    private int FileOf(long position)
    {
        int i = Array.BinarySearch(_starts, position);
        if (i < 0)
            return ~i - 1;
        while (i < _files.Length - 1 && _starts[i + 1] == position)
            i++;
        return i;
    }

    /// <summary>The leases a batch holds, one per file, taken on first use and all released together.</summary>
    internal struct Leases
    {
        private readonly TokenStream _stream;
        private readonly MappedFile.Lease[] _leases;
        private readonly bool[] _held;

        public Leases(TokenStream stream)
        {
            _stream = stream;
            _leases = new MappedFile.Lease[stream._files.Length];
            _held = new bool[stream._files.Length];
        }

        public ref readonly MappedFile.Lease Get(int file)
        {
            if (!_held[file])
            {
                _leases[file] = _stream._files[file].Array.AcquireForAccess();
                _held[file] = true;
            }
            return ref _leases[file];
        }

        public readonly void Release()
        {
            for (int i = 0; i < _held.Length; i++)
            {
                if (_held[i])
                {
                    _held[i] = false;
                    _leases[i].Dispose();
                }
            }
        }
    }

    /// <summary>Holds <see cref="Leases"/> for a using block.</summary>
    internal sealed class LeaseSet : IDisposable
    {
        private Leases _leases;

        public LeaseSet(TokenStream stream) => _leases = new Leases(stream);

        public ref Leases Ref => ref _leases;

        public void Dispose() => _leases.Release();
    }
}
