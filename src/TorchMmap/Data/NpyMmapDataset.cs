using TorchMmap.Format;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// A map-style TorchSharp dataset over memory-mapped .npy files: one or more named arrays (each possibly split into
/// shards) with the same first dimension, such as <c>("image", "x.npy")</c> and <c>("label", "y.npy")</c>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="GetTensor"/> returns one sample, so TorchSharp's stock <c>DataLoader</c> works unchanged;
/// <see cref="GetBatch"/> copies a whole batch at once, one tensor per name, straight from the mapping (runs of
/// consecutive indices in one copy, large batches split over <see cref="CopyThreads"/> threads), which is what
/// <see cref="NpyDataLoader"/> uses.
/// </para>
/// <para>The dataset owns the arrays it opened and unmaps them on dispose. Reads are thread safe.</para>
/// </remarks>
public sealed partial class NpyMmapDataset : torch.utils.data.Dataset, IBatchDataset, IPageCache
{
    private readonly NpyColumn[] _columns;
    private readonly string[] _names;
    private readonly object _conversionWriters = new();
    // Replaced whole, never modified once published: worker threads read it once per batch while SetConversion runs.
    private Dictionary<string, BatchConversion> _conversions = new(StringComparer.Ordinal);
    private int _copyThreads = ParallelCopy.Auto;
    private DatasetFingerprint? _fingerprint;
    private bool _disposed;

    private NpyMmapDataset(NpyColumn[] columns)
    {
        if (columns.Length == 0)
            throw new ArgumentException(Messages.DatasetNoColumns, nameof(columns));
        _columns = columns;
        _names = columns.Select(c => c.Name).ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (NpyColumn c in columns)
        {
            if (!seen.Add(c.Name))
                throw new ArgumentException(Messages.Format(Messages.DatasetNameTwice, c.Name), nameof(columns));
            if (c.Length != columns[0].Length)
                throw new ArgumentException(Messages.Format(Messages.DatasetRowCounts, c.Name, c.Length, columns[0].Name, columns[0].Length), nameof(columns));
        }
    }

    /// <summary>Opens one .npy file per name.</summary>
    /// <param name="arrays">Pairs of name and path.</param>
    /// <returns>The dataset; dispose it to unmap the files.</returns>
    /// <exception cref="ArgumentException">No arrays, a duplicate name, or first dimensions that differ.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    /// <exception cref="NotSupportedException">A file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    public static NpyMmapDataset Open(params (string Name, string Path)[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        return OpenShards(arrays.Select(a => (a.Name, (IReadOnlyList<string>)[a.Path])).ToArray());
    }

    /// <summary>Opens several files per name (shards such as <c>x-000.npy</c>, <c>x-001.npy</c>), each name's shards read as one long array.</summary>
    /// <param name="arrays">Pairs of name and the shard paths, in order.</param>
    /// <returns>The dataset; dispose it to unmap the files.</returns>
    /// <exception cref="ArgumentException">No arrays or shards, a duplicate name, shards that differ in dtype or row shape, or total lengths that differ.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    /// <exception cref="NotSupportedException">A file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    public static NpyMmapDataset OpenShards(params (string Name, IReadOnlyList<string> Paths)[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var opened = new List<NpyArray>();
        var columns = new List<NpyColumn>();
        try
        {
            foreach ((string name, IReadOnlyList<string> paths) in arrays)
            {
                ArgumentException.ThrowIfNullOrEmpty(name, nameof(arrays));
                ArgumentNullException.ThrowIfNull(paths, nameof(arrays));
                var shards = new NpyArray[paths.Count];
                for (int i = 0; i < shards.Length; i++)
                {
                    shards[i] = NpyArray.Open(paths[i]);
                    opened.Add(shards[i]);
                }
                columns.Add(new NpyColumn(name, shards, ownsShards: true));
            }
            return new NpyMmapDataset(columns.ToArray());
        }
        catch
        {
            foreach (NpyArray a in opened)
                a.Dispose();
            throw;
        }
    }

    /// <summary>Maps arrays of an .npz archive in place: the ones named, or every array when none is named.</summary>
    /// <param name="path">The archive (written by <c>np.savez</c>, not <c>savez_compressed</c>).</param>
    /// <param name="names">The arrays to use, in this order (found as <c>np.load(path)[name]</c> finds them); none for every
    /// array of the archive. Naming them keeps other entries (a 0-d count, metadata) from failing the dataset.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="names"/> or one of them is null.</exception>
    /// <exception cref="ArgumentException">The archive is empty, a name is given twice, or the arrays' first dimensions differ.</exception>
    /// <exception cref="KeyNotFoundException">The archive has no array of a given name.</exception>
    /// <exception cref="InvalidDataException">The archive is malformed.</exception>
    /// <exception cref="NotSupportedException">An entry is compressed, or its dtype cannot be loaded.</exception>
    public static NpyMmapDataset OpenNpz(string path, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        NpzArchive archive = NpzArchive.Read(path);
        IEnumerable<NpzEntry> entries = names.Length == 0 ? archive.Arrays : names.Select(archive.Find);
        var opened = new List<NpyColumn>();
        try
        {
            // The directory is read once; each column maps its entry.
            foreach (NpzEntry entry in entries)
                opened.Add(new NpyColumn(names.Length == 0 ? entry.ArrayName : names[opened.Count], [NpyArray.OpenNpzEntry(entry, NpyMode.ReadOnly)], ownsShards: true));
            return new NpyMmapDataset(opened.ToArray());
        }
        catch
        {
            foreach (NpyColumn c in opened)
                c.Dispose();
            throw;
        }
    }

    /// <summary>Builds a dataset over arrays the caller opened and keeps ownership of.</summary>
    /// <param name="arrays">Pairs of name and array; the arrays are not disposed with the dataset.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentException">No arrays, a duplicate name, or first dimensions that differ.</exception>
    public static NpyMmapDataset FromArrays(params (string Name, NpyArray Array)[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        return new NpyMmapDataset(arrays.Select(a => new NpyColumn(a.Name, [a.Array], ownsShards: false)).ToArray());
    }

    /// <summary>Builds a dataset over shards the caller opened (for example headerless files mapped with <see cref="NpyArray.OpenRaw"/>),
    /// each name's shards read as one long array; the caller keeps ownership.</summary>
    /// <param name="arrays">Pairs of name and the shards, in order; the arrays are not disposed with the dataset.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentException">No arrays or shards, a duplicate name, shards that differ in dtype or row shape, or total lengths that differ.</exception>
    public static NpyMmapDataset FromShards(params (string Name, IReadOnlyList<NpyArray> Shards)[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        return new NpyMmapDataset(arrays.Select(a => new NpyColumn(a.Name, a.Shards?.ToArray() ?? throw new ArgumentNullException(nameof(arrays)), ownsShards: false)).ToArray());
    }

    /// <summary>The number of samples: the common first dimension.</summary>
    public override long Count => _columns[0].Length;

    /// <summary>The names of the arrays, in the order given.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The arrays' dtypes, shapes, file sizes and a sample of their bytes (computed once, on first use).</summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public DatasetFingerprint Fingerprint
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _fingerprint ??= new DatasetFingerprint(Count, _columns.Select(c => c.Fingerprint()).ToArray());
        }
    }

    /// <summary>The value of <see cref="CopyThreads"/> that picks the threads per batch: as many as there are cores, each
    /// copying at least 2 MiB (so batches under 4 MiB are copied by one thread). The default. In an
    /// <see cref="NpyDataLoader"/> with workers, a worker copies such a split batch alone, in 1 MiB parts that a training
    /// loop waiting for that batch copies some of, rather than waking thread-pool threads beside a running step.</summary>
    public const int AutoCopyThreads = ParallelCopy.Auto;

    /// <summary>How many threads may share the copy of one batch: <see cref="AutoCopyThreads"/> (0, the default) or a fixed
    /// maximum (each thread still copies at least 2 MiB).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int CopyThreads
    {
        get => _copyThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _copyThreads = value;
        }
    }

    /// <summary>The dtype of the array called <paramref name="name"/>, as stored.</summary>
    /// <param name="name">An array name.</param>
    /// <returns>The dtype.</returns>
    /// <exception cref="KeyNotFoundException">No array has that name.</exception>
    public NpyDType GetDType(string name) => Column(name).DType;

    /// <summary>The shape of one sample of the array called <paramref name="name"/>.</summary>
    /// <param name="name">An array name.</param>
    /// <returns>The sample shape.</returns>
    /// <exception cref="KeyNotFoundException">No array has that name.</exception>
    public long[] GetSampleShape(string name) => Column(name).RowShape.ToArray();

    /// <summary>Sets (or, with null, removes) the conversion applied to the array called <paramref name="name"/> in every batch and sample.</summary>
    /// <param name="name">An array name.</param>
    /// <param name="conversion">The conversion, or null.</param>
    /// <exception cref="KeyNotFoundException">No array has that name.</exception>
    /// <remarks>Safe to call while a loader's workers read batches: each batch sees the conversions as they were when it started.</remarks>
    public void SetConversion(string name, BatchConversion? conversion)
    {
        _ = Column(name);
        lock (_conversionWriters)
        {
            var next = new Dictionary<string, BatchConversion>(_conversions, StringComparer.Ordinal);
            if (conversion is null)
                next.Remove(name);
            else
                next[name] = conversion;
            Volatile.Write(ref _conversions, next);
        }
    }

    /// <summary>Returns sample <paramref name="index"/>: one tensor per name, without a batch dimension.</summary>
    /// <param name="index">The sample index.</param>
    /// <returns>The sample; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">The file has been truncated since it was opened (checked before the copy).</exception>
    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using DisposeScope scope = torch.NewDisposeScope();
        var sample = new Dictionary<string, Tensor>(_columns.Length, StringComparer.Ordinal);
        ReadOnlySpan<long> one = [index];
        Dictionary<string, BatchConversion> conversions = Volatile.Read(ref _conversions);
        foreach (NpyColumn column in _columns)
        {
            Tensor row = column.Gather(one, 1).squeeze(0);
            sample[column.Name] = conversions.TryGetValue(column.Name, out BatchConversion? conversion) ? conversion.ApplyToSample(row) : row;
        }
        foreach (Tensor t in sample.Values)
            t.MoveToOuterDisposeScope();
        return sample;
    }

    /// <summary>
    /// Copies the samples at <paramref name="indices"/> into one new tensor per name, of shape (indices.Length, *sample shape),
    /// applying any conversion.
    /// </summary>
    /// <param name="indices">Sample indices in [0, <see cref="Count"/>), any order, repeats allowed.</param>
    /// <returns>The batch; the caller owns its tensors (they join the caller's dispose scope, if any).</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Dictionary<string, BatchConversion> conversions = Volatile.Read(ref _conversions);
        return BatchTensors.Make(Layout, indices, (rows, batch) =>
        {
            Gather(rows, batch);
            // The gathered tensor a conversion replaces is freed with the scope BatchTensors.Make works in.
            foreach (NpyColumn column in _columns)
            {
                if (conversions.TryGetValue(column.Name, out BatchConversion? conversion))
                    batch[column.Name] = conversion.Apply(batch[column.Name]);
            }
        });
    }

    // Name, row shape and element type of each array: the tensors of a batch.
    private (string Name, long[] SampleShape, ScalarType Type)[] Layout =>
        _columns.Select(c => (c.Name, c.RowShape.ToArray(), c.DType.ScalarType)).ToArray();

    /// <inheritdoc />
    void IPageCache.WillNeed(ReadOnlySpan<long> indices)
    {
        if (_disposed)
            return;
        foreach (NpyColumn column in _columns)
            column.WillNeed(indices);
    }

    /// <inheritdoc />
    void IPageCache.Advise(NpyAccessPattern pattern)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (NpyColumn column in _columns)
            column.Advise(pattern);
    }

    /// <inheritdoc />
    long IPageCache.DataBytes => _columns.Sum(c => c.DataBytes);

    /// <inheritdoc />
    void IPageCache.EnsureFilesIntact()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (NpyColumn column in _columns)
            column.EnsureFilesIntact();
    }

    // Copies the rows of every column into the contiguous CPU tensors of destination (at least indices.Length rows each),
    // split into row ranges over the copy threads; each range copies all columns, so one hand-off serves the whole batch.
    // No separate length check: every read through a mapping re-checks its file's length first (MappedFile.AcquireForAccess).
    private unsafe void Gather(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help = null)
    {
        if (indices.Length == 0)
            return;
        var targets = new nint[_columns.Length];
        long rowBytes = 0;
        for (int c = 0; c < _columns.Length; c++)
        {
            targets[c] = (nint)TensorMemory.DataPointer(destination[_columns[c].Name], nameof(destination));
            rowBytes += _columns[c].LoadedRowBytes;
        }
        // Every index is checked before any thread starts, so a bad one is reported as itself, not inside an AggregateException.
        _columns[0].CheckIndices(indices);
        CopyPlan plan = ParallelCopy.Plan(indices.Length, rowBytes * indices.Length, _copyThreads, help);
        if (plan.Parts <= 1)
        {
            for (int c = 0; c < _columns.Length; c++)
                _columns[c].Gather(indices, (byte*)targets[c], threads: 1);
            return;
        }
        fixed (long* first = indices)
        {
            nint rows = (nint)first;
            ParallelCopy.Run(indices.Length, plan, (from, to) =>
            {
                var slice = new ReadOnlySpan<long>((long*)rows + from, to - from);
                for (int c = 0; c < _columns.Length; c++)
                    _columns[c].Gather(slice, (byte*)targets[c] + (from * _columns[c].LoadedRowBytes), threads: 1);
            });
        }
    }

    /// <summary>Unmaps the files this dataset opened (arrays passed to <see cref="FromArrays"/> stay open).</summary>
    /// <param name="disposing">True when called from <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            foreach (NpyColumn column in _columns)
                column.Dispose();
        }
        base.Dispose(disposing);
    }

    private NpyColumn Column(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (NpyColumn c in _columns)
        {
            if (c.Name == name)
                return c;
        }
        throw new KeyNotFoundException(Messages.Format(Messages.DatasetNoSuchColumn, name, string.Join(", ", _names.Select(n => "'" + n + "'"))));
    }
}
