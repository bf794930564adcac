using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// The property every .npz archive must satisfy: its directory, its whole load and each mapped entry either read exactly
/// (the original arrays when only zip records were damaged) or are refused with a documented exception naming the file;
/// a compressed entry opened for mapping is refused with <see cref="NotSupportedException"/>.
/// </summary>
public static class NpzProperty
{
    /// <summary>Writes the case to a file in <paramref name="directory"/>, reads it every way and checks the outcome.</summary>
    /// <param name="c">The case.</param>
    /// <param name="directory">A scratch directory.</param>
    /// <param name="stats">Where to count the outcome.</param>
    /// <exception cref="FuzzFailureException">The property does not hold.</exception>
    public static void Check(NpzCase c, string directory, FuzzStats stats)
    {
        string path = Path.Combine(directory, Guid.NewGuid().ToString("N") + ".npz");
        File.WriteAllBytes(path, c.Bytes);
        using DisposeScope scope = torch.NewDisposeScope();
        try
        {
            NpzArchive? archive = null;
            Exception? dirError = Documented.Try(() => archive = NpzArchive.Read(path));
            if (dirError is not null)
                Documented.RequireRefusal(dirError, path, "NpzArchive.Read");
            Dictionary<string, Tensor>? loaded = null;
            Exception? loadError = Documented.Try(() => loaded = Npy.LoadNpz(path));
            if (loadError is not null)
                Documented.RequireRefusal(loadError, path, "Npy.LoadNpz");
            Documented.RequireMatch(c.Expect, loadError);
            if (archive is null)
            {
                if (loaded is not null)
                    throw new FuzzFailureException("Npy.LoadNpz read an archive whose directory NpzArchive.Read refuses.");
                stats.Record(c.Family, Documented.Outcome(loadError));
                return;
            }

            var mapped = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (int i = 0; i < archive.Arrays.Count; i++)
                CheckEntry(c, path, archive.Arrays[i], i, mapped);
            if (c.NumPyReads is not null)
                CheckAsNumPy(c.NumPyReads, loaded!);
            else if (loaded is not null)
                CheckLoaded(c, loaded, mapped);
            stats.Record(c.Family, Documented.Outcome(loadError));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void CheckEntry(NpzCase c, string path, NpzEntry entry, int index, Dictionary<string, byte[]> mapped)
    {
        if (c.Strict && (index >= c.Original.Entries.Count || entry.ArrayName != c.Original.Entries[index].Name))
            throw new FuzzFailureException($"Entry {index} reads as '{entry.ArrayName}', but only zip records were damaged and the archive has {string.Join(", ", c.Original.Entries.Select(e => "'" + e.Name + "'"))}.");
        NpyArray? array = null;
        Exception? error = Documented.Try(() => array = NpyArray.OpenNpzEntry(path, entry.ArrayName));
        if (!entry.IsStored)
        {
            if (error is not NotSupportedException)
                throw new FuzzFailureException($"Mapping the compressed entry '{entry.EntryName}' gave {Documented.Outcome(error)}, not NotSupportedException.", error ?? new InvalidOperationException());
            return;
        }
        if (error is not null)
        {
            Documented.RequireRefusal(error, path, $"NpyArray.OpenNpzEntry('{entry.ArrayName}')");
            return;
        }
        using (array!)
        {
            byte[] bytes = File.ReadAllBytes(path).AsSpan((int)entry.DataOffset, (int)entry.Size).ToArray();
            NpyProperty.VerifyRead(null, array!, bytes);
            if (c.Strict)
            {
                NpyBaseFile original = c.Original.Entries[index].File;
                if (!bytes.AsSpan().StartsWith(original.Bytes))
                    throw new FuzzFailureException($"Entry '{entry.ArrayName}' maps bytes that are not the original array's.");
            }
            using Tensor t = array!.ToTensor();
            mapped.TryAdd(entry.ArrayName, t.bytes.ToArray());
        }
    }

    // Exactly the arrays NumPy reads, each once (nothing else was loaded, so nothing leaked).
    private static void CheckAsNumPy(IReadOnlyDictionary<string, NpyBaseFile> expected, Dictionary<string, Tensor> loaded)
    {
        if (!expected.Keys.Order(StringComparer.Ordinal).SequenceEqual(loaded.Keys.Order(StringComparer.Ordinal)))
            throw new FuzzFailureException($"Npy.LoadNpz returned the arrays {string.Join(", ", loaded.Keys.Select(k => "'" + k + "'"))}; NumPy reads {string.Join(", ", expected.Keys.Select(k => "'" + k + "'"))}.");
        foreach ((string name, NpyBaseFile file) in expected)
        {
            if (!loaded[name].bytes.SequenceEqual(ExpectedValues.Decode(file.Layout.DType, file.Layout.Shape, file.Layout.Fortran, file.Data)))
                throw new FuzzFailureException($"Npy.LoadNpz returned other values for '{name}' than the entry NumPy reads.");
        }
    }

    private static void CheckLoaded(NpzCase c, Dictionary<string, Tensor> loaded, Dictionary<string, byte[]> mapped)
    {
        foreach ((string name, Tensor tensor) in loaded)
        {
            int index = c.Original.Entries.ToList().FindIndex(e => e.Name == name);
            if (index < 0 && c.Strict)
                throw new FuzzFailureException($"Npy.LoadNpz returned an array '{name}' the archive never had.");
            if (index < 0)
            {
                // A damaged name renamed the entry: its values must be what mapping it gives (a deflated entry cannot be
                // mapped; its data bytes were not touched and its CRC-32 was checked).
                if (mapped.TryGetValue(name, out byte[]? renamed) && !tensor.bytes.SequenceEqual(renamed))
                    throw new FuzzFailureException($"Npy.LoadNpz returned different values for the renamed entry '{name}' than mapping it.");
                continue;
            }
            (_, NpyBaseFile file, bool deflate) = c.Original.Entries[index];
            byte[] expected = c.Strict || deflate
                ? ExpectedValues.Decode(file.Layout.DType, file.Layout.Shape, file.Layout.Fortran, file.Data)
                : mapped.TryGetValue(name, out byte[]? m) ? m : throw new FuzzFailureException($"Npy.LoadNpz read '{name}', which cannot be mapped.");
            if (!tensor.bytes.SequenceEqual(expected))
                throw new FuzzFailureException($"Npy.LoadNpz returned different values for '{name}'.");
        }
        if (c.Strict && loaded.Count != c.Original.Entries.Count)
            throw new FuzzFailureException($"Npy.LoadNpz returned {loaded.Count} arrays; the archive has {c.Original.Entries.Count}.");
    }
}
