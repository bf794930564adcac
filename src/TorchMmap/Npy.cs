using System.IO.Compression;
using TorchMmap.Format;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap;

/// <summary>Whole-array load and save, as NumPy's <c>np.load</c>, <c>np.save</c> and <c>np.savez</c>.</summary>
public static class Npy
{
    /// <summary>Loads the whole .npy file at <paramref name="path"/> into a new tensor, as <c>np.load(path)</c>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Header limits; the defaults when null.</param>
    /// <returns>A new CPU tensor in C order and native byte order; the caller owns it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed .npy file.</exception>
    /// <exception cref="NotSupportedException">The file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be read, or is not a regular file (a FIFO, a device, a directory).</exception>
    /// <exception cref="InsufficientMemoryException">The array is larger than the memory the process can have; nothing was allocated.</exception>
    public static Tensor Load(string path, NpyReadOptions? options = null)
    {
        using NpyArray array = NpyArray.Open(path, NpyMode.ReadOnly, options);
        return array.ToTensor();
    }

    /// <summary>Saves <paramref name="tensor"/> as a .npy file, byte-exact with <c>np.save</c> (version 1.0 header, 64-byte alignment).</summary>
    /// <param name="path">The file; replaced atomically (written beside it, then renamed).</param>
    /// <param name="tensor">The tensor; not disposed. Tensors off the CPU are copied to it first.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="NotSupportedException">The tensor's type has no NumPy dtype.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string path, Tensor tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensor);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Write(stream, tensor);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="tensor"/> as .npy bytes to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream; not disposed.</param>
    /// <param name="tensor">The tensor; not disposed.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="NotSupportedException">The tensor's type has no NumPy dtype.</exception>
    public static unsafe void Write(Stream stream, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        NpyHeader header = NpyHeader.Create(NpyDType.FromScalarType(tensor.dtype), tensor.shape);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor source = tensor.cpu().contiguous();
        header.WriteTo(stream);
        byte* p = TensorMemory.DataPointer(source, nameof(tensor));
        const int Chunk = 1 << 30;
        for (long done = 0; done < header.DataLength; done += Chunk)
            stream.Write(new ReadOnlySpan<byte>(p + done, (int)Math.Min(Chunk, header.DataLength - done)));
    }

    /// <summary>Loads every array of an .npz archive, as <c>dict(np.load(path))</c>.</summary>
    /// <param name="path">The archive.</param>
    /// <returns>The arrays by name; the caller owns the tensors.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The archive or an entry is malformed.</exception>
    /// <exception cref="NotSupportedException">An entry's dtype or compression cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Dictionary<string, Tensor> LoadNpz(string path)
    {
        NpzArchive archive = NpzArchive.Read(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (NpzEntry entry in archive.Entries)
                result[entry.ArrayName] = LoadEntry(path, entry);
            return result;
        }
        catch
        {
            foreach (Tensor t in result.Values)
                t.Dispose();
            throw;
        }
    }

    /// <summary>Saves named tensors as an .npz archive, as <c>np.savez</c> (stored, mappable) or <c>np.savez_compressed</c>.</summary>
    /// <param name="path">The archive; replaced atomically.</param>
    /// <param name="arrays">The arrays by name; not disposed.</param>
    /// <param name="compress">True to deflate the entries (they can then not be mapped).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty, or a name is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="arrays"/> is null.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SaveNpz(string path, IReadOnlyDictionary<string, Tensor> arrays, bool compress = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(arrays);
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
                {
                    foreach ((string name, Tensor tensor) in arrays)
                    {
                        if (string.IsNullOrEmpty(name))
                            throw new ArgumentException("Array names cannot be empty.", nameof(arrays));
                        ZipArchiveEntry entry = zip.CreateEntry(name + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                        using Stream entryStream = entry.Open();
                        Write(entryStream, tensor);
                    }
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static Tensor LoadEntry(string path, NpzEntry entry)
    {
        if (entry.IsStored)
        {
            using NpyArray array = NpyArray.OpenNpzEntry(path, entry.ArrayName);
            return array.ToTensor();
        }
        using FileStream file = InputFile.Open(path, bufferSize: 4096);
        using var inflate = new DeflateStream(new SubReadStream(file, entry.DataOffset, entry.CompressedSize), CompressionMode.Decompress);
        var checkedStream = new Crc32ReadStream(inflate);
        Tensor? tensor = null;
        try
        {
            tensor = NpyStreamLoader.Load(checkedStream, $"{path}[{entry.ArrayName}]", entry.Size);
            // As zip readers do: the whole entry must inflate to its recorded size and CRC-32.
            long size = checkedStream.Drain(entry.Size);
            if (size != entry.Size)
                throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, entry.EntryName, size > entry.Size ? $"it inflates to more than the {entry.Size} bytes its directory records" : $"it inflates to only {size} of the {entry.Size} bytes its directory records"));
            if (checkedStream.Crc != entry.Crc32)
                throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, entry.EntryName, $"its CRC-32 is {checkedStream.Crc:x8}, not the {entry.Crc32:x8} its directory records (the data is corrupt)"));
            return tensor;
        }
        catch (InvalidDataException ex) when (!ex.Message.Contains(path, StringComparison.Ordinal))
        {
            // The inflater's own errors do not say which file they are about.
            tensor?.Dispose();
            throw new InvalidDataException(Messages.Format(Messages.NpzBadEntry, path, entry.EntryName, "its compressed data is corrupt: " + ex.Message), ex);
        }
        catch
        {
            tensor?.Dispose();
            throw;
        }
    }
}
