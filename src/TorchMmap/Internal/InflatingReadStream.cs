namespace TorchMmap.Internal;

/// <summary>
/// A decompressing read stream (gzip, deflate) whose corrupt-data errors name the file and the place: the inflater's
/// own <see cref="InvalidDataException"/> says nothing of which file it was reading. Owns the inner stream.
/// </summary>
internal sealed class InflatingReadStream : ForwardReadStream
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


    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inflater.Dispose();
        base.Dispose(disposing);
    }
}
