using System.Buffers.Binary;
using System.IO.Compression;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>A valid .npz archive of one to three arrays, each stored or deflated, with the offsets of its zip records.</summary>
public sealed class NpzBaseFile
{
    /// <summary>Builds the archive with the framework's zip writer.</summary>
    /// <param name="entries">The arrays with their names and compression.</param>
    /// <param name="entryNames">True when the names are whole entry names (no <c>.npy</c> is added): for archives with
    /// names <c>np.savez</c> would not write, such as <c>x</c> beside <c>x.npy</c>.</param>
    public NpzBaseFile(IReadOnlyList<(string Name, NpyBaseFile File, bool Deflate)> entries, bool entryNames = false)
    {
        Entries = entries;
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, NpyBaseFile file, bool deflate) in entries)
            {
                ZipArchiveEntry entry = zip.CreateEntry(entryNames ? name : name + ".npy", deflate ? CompressionLevel.Fastest : CompressionLevel.NoCompression);
                using Stream s = entry.Open();
                s.Write(file.Bytes);
            }
        }
        Bytes = buffer.ToArray();

        // The records, found the way a reader finds them: end record, then the central directory, then local headers.
        Eocd = Bytes.Length - 22;
        int at = (int)BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(Eocd + 16));
        var central = new List<int>();
        var local = new List<int>();
        for (int i = 0; i < entries.Count; i++)
        {
            central.Add(at);
            local.Add((int)BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(at + 42)));
            at += 46 + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(at + 28)) + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(at + 30)) + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(at + 32));
        }
        Central = central;
        Local = local;
    }

    /// <summary>The arrays.</summary>
    public IReadOnlyList<(string Name, NpyBaseFile File, bool Deflate)> Entries { get; }

    /// <summary>The archive.</summary>
    public byte[] Bytes { get; }

    /// <summary>The offset of the end-of-central-directory record.</summary>
    public int Eocd { get; }

    /// <summary>The offset of each entry's central directory header.</summary>
    public IReadOnlyList<int> Central { get; }

    /// <summary>The offset of each entry's local header.</summary>
    public IReadOnlyList<int> Local { get; }

    /// <summary>The offset where entry <paramref name="i"/>'s data starts.</summary>
    /// <param name="i">The entry.</param>
    /// <returns>The offset.</returns>
    public int DataOffset(int i) => Local[i] + 30 + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(Local[i] + 26)) + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(Local[i] + 28));

    /// <summary>The byte ranges holding zip structure (end record, central headers with names, local headers with names).</summary>
    /// <returns>(start, length) pairs.</returns>
    public IEnumerable<(int Start, int Length)> StructureRanges()
    {
        yield return (Eocd, 22);
        foreach (int c in Central)
            yield return (c, 46 + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(c + 28)));
        foreach (int l in Local)
            yield return (l, 30 + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(l + 26)));
    }

    /// <summary>True when <paramref name="offset"/> lies in an entry name, in the central directory or a local header.</summary>
    /// <param name="offset">A byte offset in <see cref="Bytes"/>.</param>
    /// <returns>True inside a name.</returns>
    public bool InName(int offset) =>
        Central.Any(c => offset >= c + 46 && offset < c + 46 + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(c + 28)))
        || Local.Any(l => offset >= l + 30 && offset < l + 30 + BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(l + 26)));

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Entries.Select(e => $"{e.Name}{(e.Deflate ? " (deflated)" : "")}: {e.File}"));
}
