namespace TorchMmap.Internal;

/// <summary>
/// A decompressing read stream (gzip, deflate) whose corrupt-data errors name the file and the place: the inflater's
/// own <see cref="InvalidDataException"/> says nothing of which file it was reading. Owns the inner stream.
/// </summary>
internal sealed class InflatingReadStream : Stream
{
    private readonly Stream _inflater;
    private readonly string _name;

    /// <summary>Wraps <paramref name="inflater"/>, which this disposes.</summary>
    /// <param name="inflater">The decompressing stream.</param>
    /// <param name="name">What is being read, for messages (a quoted path, or an archive entry).</param>
    public InflatingReadStream(Stream inflater, string name)
    {
        _inflater = inflater;
        _name = name;
    }

    /// <summary>Decompressed bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _inflater.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            // Only the inflater throws this here: the file beneath it reports I/O errors as IOException.
            throw new InvalidDataException(Messages.Format(Messages.CompressedDataCorrupt, _name, BytesRead, e.Message), e);
        }
        BytesRead += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inflater.Dispose();
        base.Dispose(disposing);
    }
}
