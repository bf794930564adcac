using System.Buffers;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// Documents packed into sequences of exactly T input tokens, with what keeps them apart: per-token document ids, position ids
/// that restart at each document, <c>cu_seqlens</c> boundaries, and a loss mask that never trains a document's first token on
/// the previous document's last one. Batches of <c>(B, T)</c> tensors (see <see cref="DocumentBatchNames"/>) are copied by the
/// loader's workers straight from the mapping into its reused batch slots.
/// </summary>
/// <remarks>
/// <para>
/// Each sequence holds T + 1 token slots: <c>x</c> is the first T, <c>y</c> the last T. The <see cref="PackingMode"/> decides how
/// documents fill the slots; <see cref="FromMegatronIndex"/> replays the samples of a Megatron GPTDataset from its saved index caches.
/// Attention should stay within a document: build the mask from <c>cu_seqlens</c> (<see cref="DocumentMasks.Causal"/>) or pass
/// <c>cu_seqlens</c> to a variable-length attention kernel.
/// </para>
/// <para>The dataset disposes the documents only when built with <c>ownsDocuments</c>. Reads are thread safe.</para>
/// </remarks>
public sealed unsafe class PackedDocumentDataset : torch.utils.data.Dataset, IBatchDataset, IBatchFill, IPageCache
{
    private static readonly string[] s_names =
    [
        DocumentBatchNames.Input, DocumentBatchNames.Target, DocumentBatchNames.DocumentIds, DocumentBatchNames.PositionIds,
        DocumentBatchNames.LossMask, DocumentBatchNames.CuSeqlens,
    ];

    private readonly PackingPlan _plan;
    private readonly bool _ownsDocuments;
    private PackingStatistics? _statistics;
    private DatasetFingerprint? _fingerprint;
    private bool _disposed;

    /// <summary>Packs <paramref name="documents"/> into sequences of <paramref name="blockSize"/> input tokens.</summary>
    /// <param name="documents">The documents: a ragged array of integer tokens.</param>
    /// <param name="blockSize">T, the input tokens per sequence.</param>
    /// <param name="mode">How documents fill sequences.</param>
    /// <param name="padToken">The input token placed in padding.</param>
    /// <param name="ignoreIndex">The target placed where nothing is trained.</param>
    /// <param name="ownsDocuments">True to dispose <paramref name="documents"/> with the dataset.</param>
    /// <exception cref="ArgumentNullException"><paramref name="documents"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> is not positive, or <paramref name="mode"/> is not defined.</exception>
    /// <exception cref="NotSupportedException">The documents' values are not integers.</exception>
    public PackedDocumentDataset(RaggedArray documents, int blockSize, PackingMode mode, long padToken = 0, long ignoreIndex = -100, bool ownsDocuments = false)
        : this(documents, CreatePlan(documents, blockSize, mode), padToken, ignoreIndex, ownsDocuments)
    {
        Mode = mode;
    }

    private PackedDocumentDataset(RaggedArray documents, PackingPlan plan, long padToken, long ignoreIndex, bool ownsDocuments)
    {
        Documents = documents;
        _plan = plan;
        BlockSize = plan.Slots - 1;
        PadToken = padToken;
        IgnoreIndex = ignoreIndex;
        _ownsDocuments = ownsDocuments;
    }

    /// <summary>The documents.</summary>
    public RaggedArray Documents { get; }

    /// <summary>How documents fill sequences; null for a replayed Megatron index.</summary>
    public PackingMode? Mode { get; }

    /// <summary>T, the input tokens per sequence.</summary>
    public int BlockSize { get; }

    /// <summary>The input token placed in padding.</summary>
    public long PadToken { get; }

    /// <summary>The target placed where nothing is trained.</summary>
    public long IgnoreIndex { get; }

    /// <summary>The number of sequences.</summary>
    public override long Count => _plan.Count;

    /// <summary>The names of a batch's tensors (see <see cref="DocumentBatchNames"/>).</summary>
    public IReadOnlyList<string> Names => s_names;

    /// <summary>The share of real tokens and of trained targets over all sequences (computed once, on first use, by walking the plan).</summary>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public PackingStatistics Statistics
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _statistics ??= ComputeStatistics();
        }
    }

    /// <summary>The documents' dtype, row count, files and a sample of their bytes, with the layout as the selection.</summary>
    public DatasetFingerprint Fingerprint
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fingerprint is null)
            {
                ArrayFingerprint documents = Documents.Fingerprint("documents");
                ArrayFingerprint[] arrays = _plan is MegatronSamplePlan m
                    ? [documents, new ArrayFingerprint("sample order", "caches", [Count], m.FilePaths.Sum(p => new FileInfo(p).Length), DatasetFingerprint.SampleContent(m.FilePaths))]
                    : [documents];
                _fingerprint = new DatasetFingerprint(Count, arrays, _plan.Description);
            }
            return _fingerprint;
        }
    }

    /// <summary>
    /// Replays the samples of a Megatron-LM / GPT-NeoX GPTDataset from the index caches it saved (<c>*_doc_idx.npy</c>,
    /// <c>*_sample_idx.npy</c>, <c>*_shuffle_idx.npy</c>; Megatron-core names them <c>*-document_index.npy</c>,
    /// <c>*-sample_index.npy</c>, <c>*-shuffle_index.npy</c>): sample <c>i</c> holds the same T + 1 tokens as that run's sample <c>i</c>,
    /// with document boundaries marked.
    /// </summary>
    /// <param name="data">The indexed dataset the caches were built for (not owned).</param>
    /// <param name="documentIndexPath">The document index: sequence numbers, 1-d.</param>
    /// <param name="sampleIndexPath">The sample index: (samples + 1, 2) rows of (document-index position, offset).</param>
    /// <param name="shuffleIndexPath">The shuffle index: a sample number per position, 1-d.</param>
    /// <param name="sequenceLength">T, Megatron's <c>seq_length</c>.</param>
    /// <param name="addExtraToken">Megatron-core's <c>add_extra_token_to_sequence</c> (true in Megatron-LM and GPT-NeoX): a sample spans T + 1 tokens.</param>
    /// <param name="padToken">The input token placed in padding (only a sample without the extra token has any).</param>
    /// <param name="ignoreIndex">The target placed where nothing is trained.</param>
    /// <returns>The dataset; dispose it to unmap the caches.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequenceLength"/> is not positive.</exception>
    /// <exception cref="InvalidDataException">A cache is malformed, points outside the dataset, or a sample is not T + 1 tokens.</exception>
    /// <exception cref="NotSupportedException">The dataset's items are not integers.</exception>
    /// <exception cref="IOException">A cache cannot be opened.</exception>
    public static PackedDocumentDataset FromMegatronIndex(IndexedDataset data, string documentIndexPath, string sampleIndexPath, string shuffleIndexPath, int sequenceLength, bool addExtraToken = true, long padToken = 0, long ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        data.Sequences.CheckInteger();
        var opened = new List<NpyArray>();
        try
        {
            foreach (string path in new[] { documentIndexPath, sampleIndexPath, shuffleIndexPath })
                opened.Add(NpyArray.Open(path));
            var plan = new MegatronSamplePlan(data.Sequences, opened[0], opened[1], opened[2], sequenceLength, addExtraToken);
            return new PackedDocumentDataset(data.Sequences, plan, padToken, ignoreIndex, ownsDocuments: false);
        }
        catch
        {
            foreach (NpyArray a in opened)
                a.Dispose();
            throw;
        }
    }

    /// <summary>The segments (document pieces) of sequence <paramref name="index"/>, in order.</summary>
    /// <param name="index">A sequence index.</param>
    /// <returns>The segments; their lengths add up to at most T + 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public DocumentSegment[] SegmentsOf(long index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckIndices([index]);
        var buffer = new DocumentSegment[_plan.Slots];
        using RaggedArray.Reader reader = Documents.OpenReader();
        int n = _plan.Segments(index, reader, buffer);
        return buffer[..n];
    }

    /// <summary>Returns sequence <paramref name="index"/>: each tensor of a batch without its batch dimension.</summary>
    /// <param name="index">The sequence index.</param>
    /// <returns>The sample; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        return BatchSample.FromBatchOfOne(GetBatch([index]));
    }

    /// <summary>Copies the sequences at <paramref name="indices"/> into new tensors (see <see cref="DocumentBatchNames"/>).</summary>
    /// <param name="indices">Sequence indices in [0, <see cref="Count"/>), any order, repeats allowed.</param>
    /// <returns>The batch; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckIndices(indices);
        return BatchTensors.Make(Layout, indices, Fill);
    }

    /// <inheritdoc />
    void IPageCache.WillNeed(ReadOnlySpan<long> indices)
    {
        if (_disposed)
            return;
        DocumentSegment[] segments = ArrayPool<DocumentSegment>.Shared.Rent(_plan.Slots);
        try
        {
            using RaggedArray.Reader reader = Documents.OpenReader();
            foreach (long index in indices)
            {
                if ((ulong)index >= (ulong)Count)
                    continue;
                int n = _plan.Segments(index, reader, segments);
                for (int k = 0; k < n; k++)
                    reader.WillNeed(segments[k].Row, segments[k].Offset, segments[k].Length);
            }
        }
        finally
        {
            ArrayPool<DocumentSegment>.Shared.Return(segments);
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

    /// <inheritdoc />
    (string Name, long[] SampleShape, ScalarType Type)[]? IBatchFill.FillLayout => _disposed ? null : Layout;

    /// <inheritdoc />
    bool IBatchFill.TryFillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckIndices(indices);
        Fill(indices, destination);
        return true;
    }

    /// <summary>Disposes the plan's files and, if owned, the documents.</summary>
    /// <param name="disposing">True when called from <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            _plan.Dispose();
            if (_ownsDocuments)
                Documents.Dispose();
        }
        base.Dispose(disposing);
    }

    private (string Name, long[] SampleShape, ScalarType Type)[] Layout =>
    [
        (DocumentBatchNames.Input, [BlockSize], ScalarType.Int64),
        (DocumentBatchNames.Target, [BlockSize], ScalarType.Int64),
        (DocumentBatchNames.DocumentIds, [BlockSize], ScalarType.Int64),
        (DocumentBatchNames.PositionIds, [BlockSize], ScalarType.Int64),
        (DocumentBatchNames.LossMask, [BlockSize], ScalarType.Float32),
        (DocumentBatchNames.CuSeqlens, [BlockSize + 1], ScalarType.Int32),
    ];

    private static PackingPlan CreatePlan(RaggedArray documents, int blockSize, PackingMode mode)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentOutOfRangeException.ThrowIfEqual(blockSize, int.MaxValue);
        documents.CheckInteger();
        return mode switch
        {
            PackingMode.Split => new SplitPackingPlan(documents, blockSize),
            PackingMode.Aligned => new AlignedPackingPlan(documents, blockSize),
            PackingMode.BestFit => new BestFitPackingPlan(documents, blockSize),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, Messages.PackingModeUnknown),
        };
    }

    private void CheckIndices(ReadOnlySpan<long> indices)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= (ulong)Count)
                ThrowHelper.ArgumentOutOfRange(nameof(indices), indices[i], Messages.SequenceIndexOutOfRange, indices[i], i, _plan.Description, Documents.IndexPath, Count);
        }
    }

    private void Fill(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination)
    {
        if (indices.Length == 0)
            return;
        var target = new PackedRows(
            (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.Input], nameof(destination)),
            (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.Target], nameof(destination)),
            (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.DocumentIds], nameof(destination)),
            (long*)TensorMemory.DataPointer(destination[DocumentBatchNames.PositionIds], nameof(destination)),
            (float*)TensorMemory.DataPointer(destination[DocumentBatchNames.LossMask], nameof(destination)),
            (int*)TensorMemory.DataPointer(destination[DocumentBatchNames.CuSeqlens], nameof(destination)),
            BlockSize, PadToken, IgnoreIndex);
        DocumentSegment[] segments = ArrayPool<DocumentSegment>.Shared.Rent(_plan.Slots);
        try
        {
            using RaggedArray.Reader reader = Documents.OpenReader();
            for (int r = 0; r < indices.Length; r++)
            {
                int n = _plan.Segments(indices[r], reader, segments);
                target.Write(r, reader, segments.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<DocumentSegment>.Shared.Return(segments);
        }
    }

    private PackingStatistics ComputeStatistics()
    {
        long real = 0, trained = 0, documentTokens = 0;
        DocumentSegment[] segments = new DocumentSegment[_plan.Slots];
        using RaggedArray.Reader reader = Documents.OpenReader();
        for (long d = 0; d < Documents.Count; d++)
            documentTokens += reader.LengthOf(d);
        for (long s = 0; s < Count; s++)
        {
            int n = _plan.Segments(s, reader, segments);
            long used = 0;
            for (int k = 0; k < n; k++)
            {
                long a = used, e = used + segments[k].Length;
                real += Math.Min(e, BlockSize) - Math.Min(a, BlockSize);
                trained += Math.Max(0, Math.Min(e - 1, BlockSize) - a);
                used = e;
            }
        }
        return new PackingStatistics(Count, Count * BlockSize, real, trained, documentTokens);
    }
}
