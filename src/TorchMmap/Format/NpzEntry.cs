using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>One array stored in an .npz archive, as its zip central directory and local header describe it.</summary>
public sealed class NpzEntry
{
    internal NpzEntry(string archivePath, string entryName, int compressionMethod, long compressedSize, long size, long dataOffset, uint crc32)
    {
        Crc32 = crc32;
        ArchivePath = archivePath;
        EntryName = entryName;
        ArrayName = entryName.EndsWith(".npy", StringComparison.Ordinal) ? entryName[..^4] : entryName;
        CompressionMethod = compressionMethod;
        CompressedSize = compressedSize;
        Size = size;
        DataOffset = dataOffset;
    }

    /// <summary>The archive the entry belongs to.</summary>
    public string ArchivePath { get; }

    /// <summary>The zip entry name, e.g. <c>x.npy</c>.</summary>
    public string EntryName { get; }

    /// <summary>The array name NumPy gives it: the entry name without <c>.npy</c>.</summary>
    public string ArrayName { get; }

    /// <summary>The zip compression method: 0 stored, 8 deflate.</summary>
    public int CompressionMethod { get; }

    /// <summary>True when the entry is stored uncompressed and can be memory-mapped in place.</summary>
    public bool IsStored => CompressionMethod == 0;

    /// <summary>The entry's size in the archive.</summary>
    public long CompressedSize { get; }

    /// <summary>The size of the embedded .npy file.</summary>
    public long Size { get; }

    /// <summary>The archive offset where the entry's (possibly compressed) bytes start.</summary>
    public long DataOffset { get; }

    /// <summary>The CRC-32 of the embedded .npy file, as the zip directory records it.</summary>
    public uint Crc32 { get; }

    /// <summary>
    /// Opens the entry's .npy bytes for reading, as Python's <c>zipfile</c> (what <c>np.load</c> uses) reads them: inflated
    /// when deflated, and checked at the end against the size and CRC-32 the directory records.
    /// </summary>
    /// <returns>A forward-only stream of <see cref="Size"/> bytes; dispose it. Reading it throws
    /// <see cref="InvalidDataException"/> naming the archive and the entry when the data is corrupt, shorter or longer than
    /// recorded, or fails its CRC-32 (checked when the last byte has been read).</returns>
    /// <exception cref="IOException">The archive cannot be opened.</exception>
    public Stream OpenRead() => NpzEntryStream.Open(this);

    internal void ThrowIfNotMappable()
    {
        if (!IsStored)
            throw new NotSupportedException(Messages.Format(Messages.NpzCompressed, ArchivePath, EntryName, CompressionMethod));
    }
}
