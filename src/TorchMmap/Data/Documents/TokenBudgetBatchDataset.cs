using System.Buffers;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// Token-budget batches: documents grouped into batches of varying size so that each padded batch holds at most
/// <see cref="MaxTokens"/> positions (rows x longest row), with length buckets so that documents of similar length share a
/// batch and padding stays small. Each sample of this dataset is one whole batch; read it with <c>batchSize: 1</c>, and the
/// loader's samplers, <see cref="DistributedSampler"/> and <c>state_dict</c> shuffle, split and resume batches as they do samples.
/// </summary>
/// <remarks>
/// <para>
/// The grouping is fixed for a seed: the documents are shuffled (a SplitMix64-keyed Fisher-Yates, the same on every platform),
/// cut into buckets of <c>bucketSize</c> documents, each bucket sorted by length, and each bucket cut greedily into batches
/// whose row count times longest row (documents cut to <see cref="MaxLength"/>) stays within the budget. Empty documents are left
/// out. The batch order is then the sampler's: <c>shuffle: true</c> gives a new order every epoch.
/// </para>
/// <para>
/// A batch's tensors are those of <see cref="PaddedDocumentDataset"/>, <c>(B, L)</c> with B and L varying from batch to batch, so
/// they are new tensors per batch rather than reused slots. Asked for several samples at once, the dataset concatenates their
/// documents into one batch padded to the longest. The plan keeps 8 bytes per document in memory. Reads are thread safe.
/// </para>
/// </remarks>
public sealed class TokenBudgetBatchDataset : torch.utils.data.Dataset, IBatchDataset, IPageCache
{
    private static readonly string[] s_names = PaddedRows.Layout(0).Select(l => l.Name).ToArray();

    private readonly long[] _rows;    // documents, batch after batch
    private readonly int[] _first;    // _first[b]: the first entry of batch b in _rows; _first[^1] = _rows.Length
    private readonly bool _ownsDocuments;
    private DatasetFingerprint? _fingerprint;
    private bool _disposed;

    /// <summary>Groups <paramref name="documents"/> into batches of at most <paramref name="maxTokens"/> padded positions.</summary>
    /// <param name="documents">The documents: a ragged array of integer tokens.</param>
    /// <param name="maxTokens">N: the most positions (rows x padded length) a batch may hold.</param>
    /// <param name="maxLength">T: documents are cut to their first T tokens (at most <paramref name="maxTokens"/>).</param>
    /// <param name="seed">The seed of the grouping.</param>
    /// <param name="bucketSize">Documents per length bucket: larger buckets pad less but mix lengths less across batches.</param>
    /// <param name="padToken">The input token placed in padding.</param>
    /// <param name="ignoreIndex">The target placed where nothing is trained.</param>
    /// <param name="ownsDocuments">True to dispose <paramref name="documents"/> with the dataset.</param>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/>, <paramref name="maxLength"/> or <paramref name="bucketSize"/> is not positive, or <paramref name="maxLength"/> exceeds <paramref name="maxTokens"/>.</exception>
    /// <exception cref="NotSupportedException">The documents' values are not integers, or there are more than <see cref="Array.MaxLength"/>.</exception>
    public TokenBudgetBatchDataset(RaggedArray documents, int maxTokens, int maxLength, long seed, int bucketSize = 1024, long padToken = 0, long ignoreIndex = -100, bool ownsDocuments = false)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLength, maxTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketSize);
        documents.CheckInteger();
        Documents = documents;
        MaxTokens = maxTokens;
        MaxLength = maxLength;
        Seed = seed;
        BucketSize = bucketSize;
        PadToken = padToken;
        IgnoreIndex = ignoreIndex;
        _ownsDocuments = ownsDocuments;
        (_rows, _first) = Plan(DocumentLengths.All(documents, maxLength), maxTokens, seed, bucketSize);
    }

    /// <summary>The documents.</summary>
    public RaggedArray Documents { get; }

    /// <summary>N: the most padded positions per batch.</summary>
    public int MaxTokens { get; }

    /// <summary>T: the most tokens of a document a row holds.</summary>
    public int MaxLength { get; }

    /// <summary>The seed of the grouping.</summary>
    public long Seed { get; }

    /// <summary>Documents per length bucket.</summary>
    public int BucketSize { get; }

    /// <summary>The input token placed in padding.</summary>
    public long PadToken { get; }

    /// <summary>The target placed where nothing is trained.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The number of batches.</summary>
    public override long Count => _first.Length - 1;

    /// <summary>The names of a batch's tensors (see <see cref="DocumentBatchNames"/>).</summary>
    public IReadOnlyList<string> Names => s_names;

    /// <summary>The documents' fingerprint, with the grouping (budget, length, seed, bucket size) as the selection.</summary>
    public DatasetFingerprint Fingerprint
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fingerprint is null)
            {
                ArrayFingerprint array = Documents.Fingerprint("documents");
                _fingerprint = new DatasetFingerprint(Count, [array], $"token budget(N={MaxTokens}, T={MaxLength}, seed={Seed}, bucket={BucketSize})");
            }
            return _fingerprint;
        }
    }

    /// <summary>The documents of batch <paramref name="batch"/>, in row order.</summary>
    /// <param name="batch">A batch index.</param>
    /// <returns>The document indices.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is out of range.</exception>
    public long[] DocumentsOf(long batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(batch, Count);
        return _rows[_first[batch].._first[batch + 1]];
    }

    /// <summary>The share of real tokens over all batches.</summary>
    /// <returns>The statistics of the whole grouping.</returns>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public PackingStatistics ComputeStatistics()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long positions = 0, real = 0, trained = 0, total = 0;
        using RaggedArray.Reader reader = Documents.OpenReader();
        for (long d = 0; d < Documents.Count; d++)
            total += reader.LengthOf(d);
        for (int b = 0; b < Count; b++)
        {
            long longest = 0;
            for (int k = _first[b]; k < _first[b + 1]; k++)
            {
                long n = reader.LengthOf(_rows[k]);
                long l = Math.Min(n, MaxLength);
                longest = Math.Max(longest, l);
                real += l;
                trained += Math.Min(l, n - 1);
            }
            positions += longest * (_first[b + 1] - _first[b]);
        }
        return new PackingStatistics(_rows.Length, positions, real, trained, total);
    }

    /// <summary>Returns batch <paramref name="index"/>: its <c>(B, L)</c> tensors.</summary>
    /// <param name="index">The batch index.</param>
    /// <returns>The batch; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public override Dictionary<string, Tensor> GetTensor(long index) => GetBatch([index]);

    /// <summary>Copies the documents of the batches at <paramref name="indices"/> into new tensors, padded to the longest.</summary>
    /// <param name="indices">Batch indices in [0, <see cref="Count"/>); the loader passes one at a time with <c>batchSize: 1</c>.</param>
    /// <returns>The batch; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int rows = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= (ulong)Count)
                ThrowHelper.ArgumentOutOfRange(nameof(indices), indices[i], Messages.BatchIndexOutOfRange, indices[i], i, Documents.IndexPath, Count);
            rows += _first[indices[i] + 1] - _first[indices[i]];
        }
        long[] documents = ArrayPool<long>.Shared.Rent(rows);
        try
        {
            int n = 0;
            foreach (long b in indices)
            {
                _rows.AsSpan(_first[b], _first[b + 1] - _first[b]).CopyTo(documents.AsSpan(n));
                n += _first[b + 1] - _first[b];
            }
            ReadOnlySpan<long> selected = documents.AsSpan(0, n);
            int width = PaddedRows.LongestIn(Documents, selected, MaxLength);
            return BatchTensors.Make(PaddedRows.Layout(width), selected, (rows, batch) => PaddedRows.Write(Documents, rows, width, PadToken, IgnoreIndex, batch));
        }
        finally
        {
            ArrayPool<long>.Shared.Return(documents);
        }
    }

    /// <inheritdoc />
    void IPageCache.WillNeed(ReadOnlySpan<long> indices)
    {
        if (_disposed)
            return;
        using RaggedArray.Reader reader = Documents.OpenReader();
        foreach (long b in indices)
        {
            if ((ulong)b >= (ulong)Count)
                continue;
            for (int k = _first[b]; k < _first[b + 1]; k++)
                reader.WillNeed(_rows[k], 0, Math.Min(MaxLength, reader.LengthOf(_rows[k])));
        }
    }

    /// <inheritdoc />
    void IPageCache.Advise(NpyAccessPattern pattern)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Documents.Advise(pattern);
    }

    /// <inheritdoc />
    long IPageCache.DataBytes => Documents.ValueBytes;

    /// <inheritdoc />
    void IPageCache.EnsureFilesIntact()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Documents.EnsureFilesIntact();
    }

    /// <summary>Disposes the documents if the dataset owns them.</summary>
    /// <param name="disposing">True when called from <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            if (_ownsDocuments)
                Documents.Dispose();
        }
        base.Dispose(disposing);
    }

    // Shuffle, bucket, sort each bucket by length, then cut greedily under the budget.
    private static (long[] Rows, int[] First) Plan(int[] lengths, int maxTokens, long seed, int bucketSize)
    {
        long[] order = Enumerable.Range(0, lengths.Length).Where(i => lengths[i] > 0).Select(i => (long)i).ToArray();
        ulong key = SplitMix64.Mix(unchecked((ulong)seed));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(SplitMix64.StreamKey(key, (ulong)i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        for (int start = 0; start < order.Length; start += bucketSize)
        {
            long[] bucket = order[start..Math.Min(order.Length, start + bucketSize)];
            // Stable by length: ties keep their shuffled order.
            long[] sorted = bucket.Select((d, k) => (d, k)).OrderBy(p => lengths[p.d]).ThenBy(p => p.k).Select(p => p.d).ToArray();
            sorted.CopyTo(order, start);
        }
        var first = new List<int> { 0 };
        int count = 0, longest = 0, bucketEnd = Math.Min(order.Length, bucketSize);
        for (int i = 0; i < order.Length; i++)
        {
            if (i == bucketEnd)
            {
                // Batches never span buckets.
                if (count > 0)
                    first.Add(i);
                count = 0;
                longest = 0;
                bucketEnd = Math.Min(order.Length, i + bucketSize);
            }
            int l = lengths[order[i]];
            int wider = Math.Max(longest, l);
            if (count > 0 && (long)(count + 1) * wider > maxTokens)
            {
                first.Add(i);
                count = 0;
                wider = l;
            }
            count++;
            longest = wider;
        }
        if (count > 0)
            first.Add(order.Length);
        return (order, first.ToArray());
    }
}
