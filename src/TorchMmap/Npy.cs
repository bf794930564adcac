using System.IO.Compression;
using TorchMmap.Format;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap;

/// <summary>Whole-array load and save, as NumPy's <c>np.load</c>, <c>np.save</c> and <c>np.savez</c>.</summary>
public static partial class Npy
{
    /// <summary>Loads the whole .npy file at <paramref name="path"/> into a new tensor, as <c>np.load(path)</c>.</summary>
    /// <remarks>
    /// As <c>np.load</c>, a zip archive (an .npz, whatever its name) is recognised by its first bytes. An archive of one
    /// array loads that array; an archive of several is refused with <see cref="InvalidOperationException"/> naming its
    /// arrays, since one tensor cannot hold them: use <see cref="LoadNpz(string)"/> for all of them, or
    /// <see cref="LoadNpz(string, string)"/> for one (<c>np.load(path)[name]</c>).
    /// </remarks>
    /// <param name="path">The file.</param>
    /// <param name="options">Header limits; the defaults when null.</param>
    /// <returns>A new CPU tensor in C order and native byte order; the caller owns it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed .npy file.</exception>
    /// <exception cref="NotSupportedException">The file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be read, or is not a regular file (a FIFO, a device, a directory).</exception>
    /// <exception cref="InsufficientMemoryException">The array is larger than the memory the process can have; nothing was allocated.</exception>
    /// <exception cref="InvalidOperationException">The file is an .npz archive of more (or fewer) than one array.</exception>
    public static Tensor Load(string path, NpyReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (NpzArchive.IsZip(path))
        {
            NpzArchive archive = NpzArchive.Read(path);
            if (archive.Arrays.Count != 1)
                throw new InvalidOperationException(Messages.Format(Messages.NpzNotOneArray, path, archive.Arrays.Count, string.Join(", ", archive.Names.Select(n => $"'{n}'"))));
            return LoadEntry(archive.Arrays[0]);
        }
        using NpyArray array = NpyArray.Open(path, NpyMode.ReadOnly, options);
        return array.ToTensor();
    }

    /// <summary>Saves <paramref name="tensor"/> as a .npy file, byte-exact with <c>np.save</c> (version 1.0 header, 64-byte alignment).</summary>
    /// <param name="path">The file; replaced atomically (written beside it, then renamed). As <c>np.save</c>, a symbolic link is
    /// written through to its target, a device or FIFO is written in place, and a replaced file keeps its mode and owner.</param>
    /// <param name="tensor">The tensor; not disposed. Tensors off the CPU are copied to it first.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="NotSupportedException">The tensor's type has no NumPy dtype.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string path, Tensor tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensor);
        using var file = FileReplacement.Begin(path, FileAccess.Write, FileShare.None, 1 << 20);
        Write(file.Stream, tensor);
        file.Commit();
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
        TensorMemory.WriteTo(stream, TensorMemory.DataPointer(source, nameof(tensor)), header.DataLength);
    }

    /// <summary>Loads every array of an .npz archive, as <c>dict(np.load(path))</c>.</summary>
    /// <param name="path">The archive.</param>
    /// <returns>The arrays by name; the caller owns the tensors.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The archive or an entry is malformed.</exception>
    /// <exception cref="NotSupportedException">An entry's dtype or compression cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <remarks>The directory is read once; entries are read as <c>np.load</c> reads them (see <see cref="NpzArchive"/>): one tensor
    /// per array name, of two entries with one name the later, and an entry named <c>.npy</c> under the name <c>""</c>.
    /// Deflated entries are checked against their size and CRC-32.</remarks>
    public static Dictionary<string, Tensor> LoadNpz(string path)
    {
        NpzArchive archive = NpzArchive.Read(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (NpzEntry entry in archive.Arrays)
                result.Add(entry.ArrayName, LoadEntry(entry));
            return result;
        }
        catch
        {
            foreach (Tensor t in result.Values)
                t.Dispose();
            throw;
        }
    }

    /// <summary>Loads one array of an .npz archive, as <c>np.load(path)[name]</c>.</summary>
    /// <param name="path">The archive.</param>
    /// <param name="name">The array name (<c>x</c> finds the entry <c>x</c>, else <c>x.npy</c>; see <see cref="NpzArchive.Find"/>).</param>
    /// <returns>A new CPU tensor; the caller owns it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">The archive has no such array.</exception>
    /// <exception cref="InvalidDataException">The archive or the entry is malformed.</exception>
    /// <exception cref="NotSupportedException">The entry's dtype or compression cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Tensor LoadNpz(string path, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return LoadEntry(NpzArchive.Read(path).Find(name));
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
        using var file = FileReplacement.Begin(path, FileAccess.ReadWrite, FileShare.None, 1 << 20);
        using (var zip = new ZipArchive(file.Stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, Tensor tensor) in arrays)
            {
                if (string.IsNullOrEmpty(name))
                    throw new ArgumentException(Messages.NpzNameEmpty, nameof(arrays));
                ZipArchiveEntry entry = zip.CreateEntry(name + ".npy", compress ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                using Stream entryStream = entry.Open();
                Write(entryStream, tensor);
            }
        }
        file.Commit();
    }

    // Stored entries are copied from the mapping; deflated ones stream through the archive's one entry reader, which
    // checks their size and CRC-32.
    private static Tensor LoadEntry(NpzEntry entry)
    {
        if (entry.IsStored)
        {
            using NpyArray array = NpyArray.OpenNpzEntry(entry, NpyMode.ReadOnly);
            return array.ToTensor();
        }
        using var stream = NpzEntryStream.Open(entry);
        Tensor tensor = NpyStreamLoader.Load(stream, $"{entry.ArchivePath}[{entry.ArrayName}]", entry.Size);
        try
        {
            stream.ReadToEndAndVerify();
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }
}
