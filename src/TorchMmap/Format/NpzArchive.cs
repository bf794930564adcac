using System.Buffers.Binary;
using System.Text;
using TorchMmap.Internal;
using static TorchMmap.Format.NpzLayout;

namespace TorchMmap.Format;

/// <summary>
/// The directory of an .npz archive (a zip of .npy files, as <c>np.savez</c> writes): each entry's name,
/// compression and exact location, validated against the file's length.
/// </summary>
/// <remarks>
/// Only the zip records are read here; the arrays themselves are read by <see cref="Npy"/> and <see cref="Storage.NpyArray"/>.
/// The archive is read as Python's <c>zipfile</c> reads it for <c>np.load</c>: the end record is the last one in the
/// file's final 64 KiB, data before the archive (or around it) is allowed, a name given twice means the later entry, and
/// an array name finds the entry of exactly that name before the one with <c>.npy</c> added (see <see cref="Find"/>).
/// </remarks>
public sealed class NpzArchive
{
    private readonly Dictionary<string, NpzEntry> _byEntryName;

    private NpzArchive(string path, List<NpzEntry> entries)
    {
        Path = path;
        Entries = entries;
        // As zipfile's name table: a later entry of the same name replaces an earlier one.
        _byEntryName = new Dictionary<string, NpzEntry>(StringComparer.Ordinal);
        foreach (NpzEntry e in entries)
            _byEntryName[e.EntryName] = e;
        var arrays = new List<NpzEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (NpzEntry e in entries)
        {
            if (seen.Add(e.ArrayName))
                arrays.Add(Find(e.ArrayName));
        }
        Arrays = arrays;
    }

    /// <summary>The archive's path.</summary>
    public string Path { get; }

    /// <summary>Every entry in directory order, duplicates of a name included.</summary>
    public IReadOnlyList<NpzEntry> Entries { get; }

    /// <summary>
    /// The arrays <c>dict(np.load(path))</c> holds: one entry per distinct array name, in the order the names first
    /// appear, each the entry <see cref="Find"/> returns for that name (so <c>x</c> stands before <c>x.npy</c>, and of two
    /// entries with one name the later).
    /// </summary>
    public IReadOnlyList<NpzEntry> Arrays { get; }

    /// <summary>The array names, as <see cref="Arrays"/> orders them (<c>np.load(path).files</c> without repeats).</summary>
    public IEnumerable<string> Names => Arrays.Select(e => e.ArrayName);

    /// <summary>Reads and validates the directory of the archive at <paramref name="path"/>.</summary>
    /// <param name="path">The .npz file.</param>
    /// <returns>The directory.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed zip archive.</exception>
    /// <exception cref="NotSupportedException">The archive is encrypted or spans several disks.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static NpzArchive Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = InputFile.Open(path);
        return ReadDirectory(stream, path);
    }

    /// <summary>Finds an array as <c>np.load(path)[name]</c> does: the entry named exactly <paramref name="name"/>, else the one
    /// named <paramref name="name"/> + <c>.npy</c>; of two entries with one name, the later.</summary>
    /// <param name="name">The array name (<c>x</c>, or the entry name <c>x.npy</c>; empty for what <c>np.savez</c> writes for the key <c>''</c>).</param>
    /// <returns>The entry.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">There is no such array.</exception>
    public NpzEntry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byEntryName.TryGetValue(name, out NpzEntry? entry) || _byEntryName.TryGetValue(name + ".npy", out entry))
            return entry;
        throw new KeyNotFoundException(Messages.Format(Messages.NpzNoEntry, Path, name));
    }

    /// <summary>True when the file at <paramref name="path"/> starts as a zip archive does (what <c>np.load</c> checks to
    /// tell an .npz from an .npy).</summary>
    /// <param name="path">The file.</param>
    /// <returns>True for a regular file starting with a zip local header or end record; false for anything else (a missing
    /// file, a FIFO or device, which are never opened here).</returns>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static bool IsZip(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Only a regular file is opened to look: opening a FIFO for reading would wait for a writer.
        if (OperatingSystem.IsLinux() && LibC.Stat(path) is not { IsRegular: true })
            return false;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        Span<byte> magic = stackalloc byte[4];
        int got = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (got < magic.Length)
            return false;
        uint signature = BinaryPrimitives.ReadUInt32LittleEndian(magic);
        return signature is LocalHeaderSignature or EndOfCentralDirectorySignature;
    }

    internal static NpzArchive ReadDirectory(Stream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength == 0)
            throw new InvalidDataException(Messages.Format(Messages.NpzNotZip, path, "the file is empty"));
        if (fileLength < EndOfCentralDirectoryLength)
            throw Bad(path, $"the file is {fileLength} bytes, shorter than a zip end record");

        // As zipfile: an end record with no comment ends the file; failing that, the end record is the last signature in
        // the final 22 + 65535 bytes (its comment can be that long), wherever its comment ends.
        int tailLength = (int)Math.Min(fileLength, EndOfCentralDirectoryLength + MaxCommentLength);
        byte[] tail = ReadAt(stream, fileLength - tailLength, tailLength, path);
        int eocd = tail.Length - EndOfCentralDirectoryLength;
        if (!(BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(eocd)) == EndOfCentralDirectorySignature
              && BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(eocd + 20)) == 0))
        {
            eocd = tail.AsSpan().LastIndexOf(EndOfCentralDirectorySignatureBytes);
            if (eocd < 0)
                throw Bad(path, "no zip end-of-central-directory record");
            if (eocd > tail.Length - EndOfCentralDirectoryLength)
                throw Bad(path, "the zip end-of-central-directory record is cut off by the end of the file");
        }
        long eocdOffset = fileLength - tailLength + eocd;
        ReadOnlySpan<byte> end = tail.AsSpan(eocd, EndOfCentralDirectoryLength);
        if (BinaryPrimitives.ReadUInt16LittleEndian(end[4..]) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(end[6..]) != 0)
            throw new NotSupportedException(Messages.Format(Messages.NpzNotZip, path, "multi-disk archives are not supported"));
        long count = BinaryPrimitives.ReadUInt16LittleEndian(end[EocdEntryCountOffset..]);
        long dirSize = BinaryPrimitives.ReadUInt32LittleEndian(end[EocdDirectorySizeOffset..]);
        long dirOffset = BinaryPrimitives.ReadUInt32LittleEndian(end[EocdDirectoryOffsetOffset..]);
        // Where the directory really ends: right before the end record (and the zip64 records, when there are any).
        long dirEnd = eocdOffset;

        if (count == Saturated16 || dirSize == Saturated32 || dirOffset == Saturated32)
        {
            (count, dirSize, dirOffset) = ReadZip64End(stream, eocdOffset, path);
            dirEnd = eocdOffset - Zip64LocatorLength - Zip64EocdLength;
        }
        // As zipfile: the archive may sit after other data (a self-extracting stub, or inside another archive's comment);
        // its offsets are then shifted by what comes before it.
        long shift = dirEnd - dirSize - dirOffset;
        if (dirSize > dirEnd || shift < 0)
            throw Bad(path, $"the central directory ({dirSize} bytes at offset {dirOffset}) lies outside the file");
        dirOffset += shift;
        if (dirSize > Array.MaxLength)
            throw Bad(path, $"its central directory of {dirSize} bytes is too large to read");
        if (count > dirSize / CentralHeaderLength)
            throw Bad(path, $"{count} entries cannot fit in a central directory of {dirSize} bytes");

        byte[] dir = ReadAt(stream, dirOffset, (int)dirSize, path);
        var entries = new List<NpzEntry>((int)count);
        int at = 0;
        for (long n = 0; n < count; n++)
            entries.Add(ReadEntry(stream, dir, ref at, dirOffset, shift, path));
        // A count that disagrees with the directory's size would silently drop entries.
        if (at != dir.Length)
            throw Bad(path, $"the end record counts {count} entries, but the central directory holds {dir.Length - at} more bytes of records");
        return new NpzArchive(path, entries);
    }

    private static (long Count, long DirSize, long DirOffset) ReadZip64End(Stream stream, long eocdOffset, string path)
    {
        if (eocdOffset < Zip64LocatorLength)
            throw Bad(path, "the zip64 end-of-central-directory locator is missing");
        byte[] locator = ReadAt(stream, eocdOffset - Zip64LocatorLength, Zip64LocatorLength, path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature)
            throw Bad(path, "the zip64 end-of-central-directory locator is missing");
        long recordOffset = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(Zip64LocatorEocdOffset)), long.MaxValue);
        if (recordOffset > eocdOffset - Zip64LocatorLength - Zip64EocdLength)
            throw Bad(path, $"the zip64 end record offset {recordOffset} is out of range");
        byte[] record = ReadAt(stream, recordOffset, Zip64EocdLength, path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndOfCentralDirectorySignature)
            throw Bad(path, $"no zip64 end record at offset {recordOffset}");
        return (Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(Zip64EocdEntryCountOffset))),
                Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(Zip64EocdDirectorySizeOffset))),
                Clamp(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(Zip64EocdDirectoryOffsetOffset))));
    }

    private static NpzEntry ReadEntry(Stream stream, byte[] dir, ref int at, long dirOffset, long shift, string path)
    {
        if (dir.Length - at < CentralHeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(dir.AsSpan(at)) != CentralHeaderSignature)
            throw Bad(path, $"no central directory header at offset {dirOffset + at}");
        ReadOnlySpan<byte> h = dir.AsSpan(at, CentralHeaderLength);
        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralFlagsOffset..]);
        int method = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralMethodOffset..]);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[CentralCrcOffset..]);
        long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[CentralCompressedSizeOffset..]);
        long size = BinaryPrimitives.ReadUInt32LittleEndian(h[CentralSizeOffset..]);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralNameLengthOffset..]);
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralExtraLengthOffset..]);
        int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[CentralCommentLengthOffset..]);
        long local = BinaryPrimitives.ReadUInt32LittleEndian(h[CentralLocalHeaderOffset..]);
        int recordLength = CentralHeaderLength + nameLength + extraLength + commentLength;
        if (dir.Length - at < recordLength)
            throw Bad(path, $"the central directory header at offset {dirOffset + at} runs past the directory");
        int nameStart = at + CentralHeaderLength;
        string name = Encoding.UTF8.GetString(dir, nameStart, nameLength);
        ReadOnlySpan<byte> extra = dir.AsSpan(at + CentralHeaderLength + nameLength, extraLength);
        at += recordLength;

        if ((flags & EncryptedFlag) != 0)
            throw new NotSupportedException(Messages.Format(Messages.NpzBadEntry, path, name, "it is encrypted"));
        if (method is not (0 or 8))
            throw new NotSupportedException(Messages.Format(Messages.NpzBadEntry, path, name, $"compression method {method} is not supported (only stored and deflate)"));
        ApplyZip64Extra(extra, ref size, ref compressed, ref local, path, name);
        local = local > long.MaxValue - shift ? long.MaxValue : local + shift;
        if (method == 0 && compressed != size)
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, $"it is stored, but its compressed size {compressed} differs from its size {size}"));
        // A size no deflate stream of this length can reach is a lie: refused here, before anyone allocates for it.
        if (method == 8 && size > MaxInflatedSize(compressed))
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, Messages.Format(Messages.NpzImplausibleSize, size, compressed, MaxDeflateRatio)));

        long fileLength = stream.Length;
        if (local > fileLength - LocalHeaderLength)
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, $"its local header offset {local} is past the end of the file"));
        byte[] lh = ReadAt(stream, local, LocalHeaderLength, path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(lh) != LocalHeaderSignature)
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, $"no local header at offset {local}"));
        if (BinaryPrimitives.ReadUInt16LittleEndian(lh.AsSpan(LocalMethodOffset)) != method)
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, "its local header and directory disagree on the compression method"));
        int localNameLength = BinaryPrimitives.ReadUInt16LittleEndian(lh.AsSpan(LocalNameLengthOffset));
        // As Python's zipfile does: a directory record whose local header names another entry (a damaged name or
        // offset) would otherwise read that entry's data under this name.
        if (localNameLength != nameLength || local > fileLength - LocalHeaderLength - nameLength
            || !ReadAt(stream, local + LocalHeaderLength, nameLength, path).AsSpan().SequenceEqual(dir.AsSpan(nameStart, nameLength)))
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, $"the local header at offset {local} names a different entry"));
        long dataOffset = local + LocalHeaderLength + localNameLength
            + BinaryPrimitives.ReadUInt16LittleEndian(lh.AsSpan(LocalExtraLengthOffset));
        if (dataOffset > fileLength || compressed > fileLength - dataOffset)
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, $"its {compressed} bytes at offset {dataOffset} run past the end of the file ({fileLength} bytes)"));
        return new NpzEntry(path, name, method, compressed, size, dataOffset, crc);
    }

    // Saturated 32-bit fields are replaced, in order, by 64-bit values in the zip64 extra field.
    private static void ApplyZip64Extra(ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long local, string path, string name)
    {
        if (size != Saturated32 && compressed != Saturated32 && local != Saturated32)
            return;
        while (extra.Length >= 4)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (length > extra.Length - 4)
                break;
            ReadOnlySpan<byte> data = extra.Slice(4, length);
            if (id == Zip64ExtraId)
            {
                int p = 0;
                if (size == Saturated32)
                    size = Next(data, ref p, path, name);
                if (compressed == Saturated32)
                    compressed = Next(data, ref p, path, name);
                if (local == Saturated32)
                    local = Next(data, ref p, path, name);
                return;
            }
            extra = extra[(4 + length)..];
        }
        throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, "a size or offset is saturated but there is no zip64 extra field"));
    }

    private static long Next(ReadOnlySpan<byte> data, ref int p, string path, string name)
    {
        if (data.Length - p < 8)
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, name, "its zip64 extra field is too short"));
        long value = Clamp(BinaryPrimitives.ReadUInt64LittleEndian(data[p..]));
        p += 8;
        return value;
    }

    // Deflate's densest code spends 2 bits on a 258-byte match, so n compressed bytes inflate to at most 1032 n bytes
    // (RFC 1951); the constant covers the first literal and block headers of tiny streams.
    private static long MaxInflatedSize(long compressed) =>
        compressed > (long.MaxValue - MaxDeflateSlack) / MaxDeflateRatio ? long.MaxValue : compressed * MaxDeflateRatio + MaxDeflateSlack;

    private static long Clamp(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    private static byte[] ReadAt(Stream stream, long offset, int length, string path)
    {
        byte[] buffer = new byte[length];
        stream.Position = offset;
        if (stream.ReadAtLeast(buffer, length, throwOnEndOfStream: false) != length)
            throw Bad(path, $"the file ended inside {length} bytes at offset {offset}");
        return buffer;
    }

    private static InvalidDataException Bad(string path, string reason) => new(Messages.Format(Messages.NpzNotZip, path, reason));
}
