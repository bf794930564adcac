using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// One document per sample, padded: sample <c>i</c> is document <c>i</c>'s first <c>min(n, T)</c> tokens, and a batch pads its rows
/// to its longest document (or to T) with lengths, an attention mask and a loss mask (see <see cref="DocumentBatchNames"/>),
/// optionally beside fixed-shape columns of an <see cref="NpyMmapDataset"/> with a row per document (labels, for example).
/// </summary>
/// <remarks>
/// <para>
/// <c>x</c> holds the tokens and <c>y</c> the next token of the same document at each position (so a document cut at T still
/// trains its last input on the token after it); positions with no target hold the ignore index and a loss mask of 0.
/// Padded to T, every batch has one shape and the loader fills its reused batch slots straight from the mapping; padded to the
/// longest, each batch is as wide as it needs and is made as new tensors.
/// </para>
/// <para>The dataset disposes the documents (and the columns) only when built with <c>ownsDocuments</c>. Reads are thread safe.</para>
/// </remarks>
public sealed class PaddedDocumentDataset : torch.utils.data.Dataset, IBatchDataset, IBatchFill, IPageCache
{
    private readonly NpyMmapDataset? _columns;
    private readonly string[] _names;
    private readonly bool _ownsDocuments;
    private DatasetFingerprint? _fingerprint;
    private bool _disposed;

    /// <summary>Makes a padded view of <paramref name="documents"/>.</summary>
    /// <param name="documents">The documents: a ragged array of integer tokens.</param>
    /// <param name="maxLength">T: documents are cut to their first T tokens.</param>
    /// <param name="padToMaxLength">True to pad every batch to T (one shape, reused batch memory); false to pad to the batch's longest.</param>
    /// <param name="columns">Fixed-shape arrays with one row per document, added to every batch under their names; not owned unless <paramref name="ownsDocuments"/>.</param>
    /// <param name="padToken">The input token placed in padding.</param>
    /// <param name="ignoreIndex">The target placed where nothing is trained.</param>
    /// <param name="ownsDocuments">True to dispose <paramref name="documents"/> and <paramref name="columns"/> with the dataset.</param>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="columns"/> has another number of rows, or a name used by the layout.</exception>
    /// <exception cref="NotSupportedException">The documents' values are not integers.</exception>
    public PaddedDocumentDataset(RaggedArray documents, int maxLength, bool padToMaxLength = false, NpyMmapDataset? columns = null, long padToken = 0, long ignoreIndex = -100, bool ownsDocuments = false)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        documents.CheckInteger();
        string[] own = PaddedRows.Layout(0).Select(l => l.Name).ToArray();
        if (columns is not null)
        {
            if (columns.Count != documents.Count)
                throw new ArgumentException(Messages.Format(Messages.PaddedColumnsLength, columns.Count, documents.IndexPath, documents.Count), nameof(columns));
            if (columns.Names.FirstOrDefault(own.Contains) is string clash)
                throw new ArgumentException(Messages.Format(Messages.PaddedColumnNameClash, clash), nameof(columns));
        }
        Documents = documents;
        MaxLength = maxLength;
        PadToMaxLength = padToMaxLength;
        PadToken = padToken;
        IgnoreIndex = ignoreIndex;
        _columns = columns;
        _names = [.. own, .. columns?.Names ?? []];
        _ownsDocuments = ownsDocuments;
    }

    /// <summary>The documents.</summary>
    public RaggedArray Documents { get; }

    /// <summary>T: the most tokens of a document a row holds.</summary>
    public int MaxLength { get; }

    /// <summary>Whether every batch is padded to <see cref="MaxLength"/>.</summary>
    public bool PadToMaxLength { get; }

    /// <summary>The input token placed in padding.</summary>
    public long PadToken { get; }

    /// <summary>The target placed where nothing is trained.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The number of documents.</summary>
    public override long Count => Documents.Count;

    /// <summary>The names of a batch's tensors: the layout's (see <see cref="DocumentBatchNames"/>), then the columns'.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The documents' dtype, row count, files and sampled bytes, and the columns'.</summary>
    public DatasetFingerprint Fingerprint
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fingerprint is null)
            {
                ArrayFingerprint array = Documents.Fingerprint("documents");
                _fingerprint = new DatasetFingerprint(Count, [array, .. _columns?.Fingerprint.Arrays ?? []], $"padded(T={MaxLength}, to {(PadToMaxLength ? "T" : "longest")})");
            }
            return _fingerprint;
        }
    }

    /// <summary>Returns document <paramref name="index"/> padded to its own length (or T): each tensor without its batch dimension.</summary>
    /// <param name="index">The document index.</param>
    /// <returns>The sample; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        return BatchSample.FromBatchOfOne(GetBatch([index]));
    }

    /// <summary>Copies the documents at <paramref name="indices"/> into new tensors padded to the longest of them (or to T).</summary>
    /// <param name="indices">Document indices in [0, <see cref="Count"/>), any order, repeats allowed.</param>
    /// <returns>The batch; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckIndices(indices);
        int width = PadToMaxLength ? MaxLength : PaddedRows.LongestIn(Documents, indices, MaxLength);
        return BatchTensors.Make(PaddedRows.Layout(width), indices, (rows, batch) =>
        {
            PaddedRows.Write(Documents, rows, width, PadToken, IgnoreIndex, batch);
            if (_columns is not null)
            {
                foreach ((string name, Tensor t) in _columns.GetBatch(rows))
                    batch[name] = t;
            }
        });
    }

    /// <inheritdoc />
    void IPageCache.WillNeed(ReadOnlySpan<long> indices)
    {
        if (_disposed)
            return;
        using (RaggedArray.Reader reader = Documents.OpenReader())
        {
            foreach (long index in indices)
            {
                if ((ulong)index < (ulong)Count)
                    reader.WillNeed(index, 0, Math.Min(MaxLength, reader.LengthOf(index)));
            }
        }
        (_columns as IPageCache)?.WillNeed(indices);
    }

    /// <inheritdoc />
    void IPageCache.Advise(NpyAccessPattern pattern)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Documents.Advise(pattern);
        (_columns as IPageCache)?.Advise(pattern);
    }

    /// <inheritdoc />
    long IPageCache.DataBytes => Documents.ValueBytes;

    /// <inheritdoc />
    void IPageCache.EnsureFilesIntact()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Documents.EnsureFilesIntact();
        (_columns as IPageCache)?.EnsureFilesIntact();
    }

    /// <inheritdoc />
    (string Name, long[] SampleShape, ScalarType Type)[]? IBatchFill.FillLayout
    {
        get
        {
            if (_disposed || !PadToMaxLength)
                return null;
            if (_columns is null)
                return PaddedRows.Layout(MaxLength);
            var columns = ((IBatchFill)_columns).FillLayout;
            return columns is null ? null : [.. PaddedRows.Layout(MaxLength), .. columns];
        }
    }

    /// <inheritdoc />
    bool IBatchFill.TryFillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckIndices(indices);
        if (!PadToMaxLength)
            return false;
        PaddedRows.Write(Documents, indices, MaxLength, PadToken, IgnoreIndex, destination);
        return _columns is null || ((IBatchFill)_columns).TryFillBatch(indices, destination, help);
    }

    /// <summary>Disposes the documents and columns if the dataset owns them.</summary>
    /// <param name="disposing">True when called from <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            if (_ownsDocuments)
            {
                Documents.Dispose();
                _columns?.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    private void CheckIndices(ReadOnlySpan<long> indices)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= (ulong)Count)
                ThrowHelper.ArgumentOutOfRange(nameof(indices), indices[i], Messages.DocumentIndexOutOfRange, indices[i], i, Documents.IndexPath, Count);
        }
    }
}
