using System.IO.Compression;
using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// The .npy bytes of one .npz entry, read as Python's <c>zipfile</c> reads them (what <c>np.load</c> uses): inflated when
/// deflated, and checked against the directory as they pass: never more bytes than it records, and at the end exactly
/// its size and CRC-32. Every problem is an <see cref="InvalidDataException"/> naming the archive and the entry.
/// </summary>
internal sealed class NpzEntryStream : ForwardReadStream
{
    private readonly NpzEntry _entry;
    private readonly FileStream _file;
    private readonly Crc32ReadStream _checked;
    private readonly Stream _source;
    private bool _verified;

    private NpzEntryStream(NpzEntry entry, FileStream file, Stream source)
    {
        _entry = entry;
        _file = file;
        _source = source;
        _checked = new Crc32ReadStream(source);
    }

    /// <summary>Opens <paramref name="entry"/> of its archive for reading.</summary>
    public static NpzEntryStream Open(NpzEntry entry)
    {
        FileStream file = InputFile.Open(entry.ArchivePath, FileAccess.Read, 1 << 16);
        try
        {
            Stream source = new SubReadStream(file, entry.DataOffset, entry.CompressedSize);
            if (!entry.IsStored)
                source = new InflatingReadStream(new DeflateStream(source, CompressionMode.Decompress), $"'{entry.ArchivePath}': the entry '{entry.EntryName}'");
            return new NpzEntryStream(entry, file, source);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public override long Length => _entry.Size;

    public override int Read(Span<byte> buffer)
    {
        // Never hand out more than the directory records, however far the data would inflate.
        long left = _entry.Size - _checked.BytesRead;
        if (left <= 0 || buffer.IsEmpty)
        {
            if (!buffer.IsEmpty)
                Verify();
            return 0;
        }
        int n = _checked.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        BytesRead += n;
        if (n == 0)
            Verify();
        return n;
    }

    /// <summary>Reads what is left and checks the size and CRC-32, as a zip reader does at the end of an entry.</summary>
    public void ReadToEndAndVerify()
    {
        byte[] scratch = new byte[1 << 16];
        while (Read(scratch) > 0)
        {
        }
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }

    private void Verify()
    {
        if (_verified)
            return;
        long size = _checked.BytesRead;
        if (size == _entry.Size)
        {
            // The data may go on past the recorded size: as zipfile, such an entry is corrupt.
            Span<byte> probe = stackalloc byte[1];
            if (!_entry.IsStored && _checked.Read(probe) != 0)
                throw Bad($"it inflates to more than the {_entry.Size} bytes its directory records");
        }
        else
        {
            throw Bad($"it inflates to only {size} of the {_entry.Size} bytes its directory records");
        }
        if (_checked.Crc != _entry.Crc32)
            throw Bad($"its CRC-32 is {_checked.Crc:x8}, not the {_entry.Crc32:x8} its directory records (the data is corrupt)");
        _verified = true;
    }

    private InvalidDataException Bad(string reason) => new(Messages.Format(Messages.NpzBadEntry, _entry.ArchivePath, _entry.EntryName, reason));
}
