using TorchMmap.Format;

namespace TorchMmap.Cli;

/// <summary>
/// One array's header and a stream positioned at its first data byte: the data section of a .npy or raw file, or a
/// stored or compressed .npz entry read through the library's entry stream. The tool reads values from it without libtorch.
/// </summary>
internal sealed class ArrayData : IDisposable
{
    private readonly IDisposable? _owner;
    private long _position;

    private ArrayData(NpyHeader header, Stream data, string label, IDisposable? owner)
    {
        Header = header;
        Data = data;
        Label = label;
        _owner = owner;
    }

    public NpyHeader Header { get; }

    public Stream Data { get; }

    /// <summary>The path, or path:entry, as messages name the array.</summary>
    public string Label { get; }

    /// <summary>Opens the array <paramref name="name"/> ("" for a .npy or raw file).</summary>
    public static ArrayData Open(string path, string name, RawLayout? raw)
    {
        string label = ArrayFile.Label(path, name);
        if (raw is not null || name.Length == 0)
        {
            long start;
            NpyHeader header;
            // Opening maps the file after validating the header and that the file holds all the data.
            using (var array = ArrayFile.Open(path, name, raw))
            {
                header = array.Header;
                start = array.DataStart;
            }
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            file.Position = start;
            return new ArrayData(header, file, label, null);
        }
        // Stored or deflated, an entry is read as Npy.LoadNpz reads it: its size and CRC-32 are checked at the end.
        Stream stream = NpzArchive.Read(path).Find(name).OpenRead();
        try
        {
            return new ArrayData(NpyHeader.Read(stream, label), stream, label, null);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> from data byte <paramref name="offset"/>; offsets must not go backwards
    /// (a compressed entry reads forward only). Throws when the data ends early.
    /// </summary>
    public void ReadAt(long offset, Span<byte> destination)
    {
        if (offset < _position)
            throw new InvalidOperationException("Data offsets must be read in increasing order.");
        if (offset > _position)
        {
            if (Data.CanSeek)
            {
                Data.Seek(offset - _position, SeekOrigin.Current);
            }
            else
            {
                Span<byte> skip = stackalloc byte[4096];
                for (long left = offset - _position; left > 0;)
                {
                    int n = Data.Read(skip[..(int)Math.Min(left, skip.Length)]);
                    if (n == 0)
                        throw Truncated();
                    left -= n;
                }
            }
            _position = offset;
        }
        if (Data.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) < destination.Length)
            throw Truncated();
        _position += destination.Length;
    }

    private InvalidDataException Truncated() =>
        new($"'{Label}': the shape {Header.FormatShape()} of {Header.Descr} needs {Header.DataLength} bytes of data, but the data ends early.");

    public void Dispose()
    {
        Data.Dispose();
        _owner?.Dispose();
    }
}
