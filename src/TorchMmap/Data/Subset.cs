using System.Buffers;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>A view of some samples of another dataset, by index, as PyTorch's <c>Subset</c>; nothing is copied.</summary>
/// <remarks>The subset does not own the dataset it views: dispose that separately, after the subset is no longer used.
/// A loader reads a subset as fast as the dataset it views: batches are filled in place and their memory reused alike.</remarks>
public sealed class Subset : torch.utils.data.Dataset, IBatchDataset, IBatchFill, IPageCache
{
    private readonly long[] _indices;
    private DatasetFingerprint? _fingerprint;

    /// <summary>Creates a view of <paramref name="dataset"/> holding the samples at <paramref name="indices"/>, in that order.</summary>
    /// <param name="dataset">The dataset viewed; not owned.</param>
    /// <param name="indices">Indices into <paramref name="dataset"/>.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public Subset(IBatchDataset dataset, IEnumerable<long> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        Dataset = dataset;
        _indices = indices.ToArray();
        ThrowHelper.ThrowIfAnyOutOfRange(_indices, dataset.Count, "the dataset", "samples", nameof(indices));
    }

    /// <summary>The dataset viewed.</summary>
    public IBatchDataset Dataset { get; }

    /// <summary>The indices into <see cref="Dataset"/>.</summary>
    public IReadOnlyList<long> Indices => _indices;

    /// <summary>The number of samples in the subset.</summary>
    public override long Count => _indices.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Names => Dataset.Names;

    /// <summary>The viewed dataset's fingerprint with this subset's count and a hash of its indices as the selection.</summary>
    public DatasetFingerprint Fingerprint
    {
        get
        {
            if (_fingerprint is null)
            {
                DatasetFingerprint viewed = Dataset.Fingerprint;
                string selection = $"subset of {_indices.Length} indices, hash {HashIndices(_indices)}";
                _fingerprint = viewed with { Count = _indices.Length, Selection = viewed.Selection is null ? selection : $"{viewed.Selection}, then {selection}" };
            }
            return _fingerprint;
        }
    }

    /// <summary>Randomly splits <paramref name="dataset"/> into non-overlapping subsets of the given lengths, as PyTorch's
    /// <c>random_split(dataset, lengths, generator=torch.Generator().manual_seed(seed))</c>.</summary>
    /// <param name="dataset">The dataset; not owned by the subsets.</param>
    /// <param name="lengths">Subset lengths summing to the dataset's count.</param>
    /// <param name="seed">The seed of the permutation.</param>
    /// <returns>The subsets, in the order of <paramref name="lengths"/>.</returns>
    /// <exception cref="ArgumentException">The lengths do not sum to the dataset's count, or one is negative.</exception>
    public static Subset[] RandomSplit(IBatchDataset dataset, IReadOnlyList<long> lengths, long seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        if (lengths.Any(l => l < 0) || lengths.Sum() != dataset.Count)
            throw new ArgumentException(Messages.Format(Messages.SplitLengths, string.Join(", ", lengths), dataset.Count), nameof(lengths));
        long[] order = TorchPermutation.RandPerm(dataset.Count, seed);
        var result = new Subset[lengths.Count];
        long offset = 0;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new Subset(dataset, new ArraySegment<long>(order, (int)offset, (int)lengths[i]));
            offset += lengths[i];
        }
        return result;
    }

    /// <summary>Randomly splits <paramref name="dataset"/> by fractions, as PyTorch: each length is floor(fraction × count), and the
    /// remaining samples go one each to the first subsets.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="fractions">Fractions summing to 1.</param>
    /// <param name="seed">The seed of the permutation.</param>
    /// <returns>The subsets.</returns>
    /// <exception cref="ArgumentException">The fractions are negative or do not sum to 1.</exception>
    public static Subset[] RandomSplit(IBatchDataset dataset, IReadOnlyList<double> fractions, long seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(fractions);
        if (fractions.Any(f => f < 0 || f > 1) || Math.Abs(fractions.Sum() - 1) > 1e-9)
            throw new ArgumentException(Messages.SplitFractions, nameof(fractions));
        long count = dataset.Count;
        long[] lengths = fractions.Select(f => (long)Math.Floor(count * f)).ToArray();
        long remainder = count - lengths.Sum();
        for (int i = 0; i < remainder; i++)
            lengths[i % lengths.Length]++;
        return RandomSplit(dataset, lengths, seed);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The file has been truncated since it was opened (checked before the copy).</exception>
    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (Dataset is torch.utils.data.Dataset map)
            return map.GetTensor(_indices[index]);
        using DisposeScope scope = torch.NewDisposeScope();
        Dictionary<string, Tensor> batch = Dataset.GetBatch([_indices[index]]);
        return batch.ToDictionary(kv => kv.Key, kv => kv.Value.squeeze(0).MoveToOuterDisposeScope(), StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
    {
        long[] mapped = ArrayPool<long>.Shared.Rent(indices.Length);
        try
        {
            Map(indices, mapped);
            return Dataset.GetBatch(mapped.AsSpan(0, indices.Length));
        }
        finally
        {
            ArrayPool<long>.Shared.Return(mapped);
        }
    }

    /// <inheritdoc />
    (string Name, long[] SampleShape, ScalarType Type)[]? IBatchFill.FillLayout => (Dataset as IBatchFill)?.FillLayout;

    /// <inheritdoc />
    bool IBatchFill.TryFillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help)
    {
        if (Dataset is not IBatchFill fill)
            return false;
        long[] mapped = ArrayPool<long>.Shared.Rent(indices.Length);
        try
        {
            Map(indices, mapped);
            return fill.TryFillBatch(mapped.AsSpan(0, indices.Length), destination, help);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(mapped);
        }
    }

    /// <inheritdoc />
    void IPageCache.WillNeed(ReadOnlySpan<long> indices)
    {
        if (Dataset is not IPageCache cache)
            return;
        long[] mapped = ArrayPool<long>.Shared.Rent(indices.Length);
        try
        {
            int n = 0;
            foreach (long i in indices)
            {
                if ((ulong)i < (ulong)_indices.Length)
                    mapped[n++] = _indices[i];
            }
            cache.WillNeed(mapped.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<long>.Shared.Return(mapped);
        }
    }

    /// <inheritdoc />
    void IPageCache.Advise(NpyAccessPattern pattern) =>
        // A subset's order is scattered over the parent even when read in sequence.
        (Dataset as IPageCache)?.Advise(pattern == NpyAccessPattern.Sequential ? NpyAccessPattern.Normal : pattern);

    /// <inheritdoc />
    /// <remarks>The parent's: a subset's samples are scattered over all of it.</remarks>
    long IPageCache.DataBytes => (Dataset as IPageCache)?.DataBytes ?? 0;

    /// <inheritdoc />
    void IPageCache.EnsureFilesIntact() => (Dataset as IPageCache)?.EnsureFilesIntact();

    private void Map(ReadOnlySpan<long> indices, Span<long> mapped)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            long index = indices[i];
            if ((ulong)index >= (ulong)_indices.Length)
                ThrowHelper.IndexOutOfRange(index, i, _indices.Length, "the subset", "samples", nameof(indices));
            mapped[i] = _indices[index];
        }
    }

    // Every index, in order: a subset's selection is in memory already, and a split differs from another anywhere.
    private static string HashIndices(long[] indices)
    {
        ulong hash = (ulong)indices.Length;
        foreach (long index in indices)
            hash = SplitMix64.Mix(hash ^ (ulong)index);
        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }
}
