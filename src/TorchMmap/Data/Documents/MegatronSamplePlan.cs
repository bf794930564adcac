using TorchMmap.Format;
using TorchMmap.Internal;
using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>
/// The sample order of a Megatron GPTDataset, replayed from the index caches it saved: sample <c>i</c> is
/// <c>shuffle_idx[i]</c>'s entry of <c>sample_idx</c>, whose rows <c>(k, offset)</c> and <c>(k', offset')</c> say that it runs from
/// token <c>offset</c> of sequence <c>doc_idx[k]</c> to token <c>offset'</c> of sequence <c>doc_idx[k']</c> inclusive: T + 1
/// tokens (with Megatron's default <c>add_extra_token_to_sequence</c>). The three arrays stay mapped; they are validated at open.
/// </summary>
internal sealed unsafe class MegatronSamplePlan : PackingPlan
{
    private readonly NpyArray _documentIndex;
    private readonly NpyArray _sampleIndex;
    private readonly NpyArray _shuffleIndex;
    private readonly int _t;
    private readonly int _extra;

    public MegatronSamplePlan(RaggedArray sequences, NpyArray documentIndex, NpyArray sampleIndex, NpyArray shuffleIndex, int sequenceLength, bool addExtraToken)
        : base(sequenceLength + 1)
    {
        _documentIndex = documentIndex;
        _sampleIndex = sampleIndex;
        _shuffleIndex = shuffleIndex;
        _t = sequenceLength;
        _extra = addExtraToken ? 1 : 0;
        Validate(sequences);
        Count = _shuffleIndex.Length;
    }

    public override long Count { get; }

    public override string Description => $"megatron(T={_t}, samples={Count})";

    public IEnumerable<string> FilePaths => [_documentIndex.Path, _sampleIndex.Path, _shuffleIndex.Path];

    public override int Segments(long sequence, in RaggedArray.Reader documents, Span<DocumentSegment> destination)
    {
        using MappedFile.Lease shuffle = _shuffleIndex.AcquireForAccess();
        using MappedFile.Lease samples = _sampleIndex.AcquireForAccess();
        using MappedFile.Lease docs = _documentIndex.AcquireForAccess();
        long s = Read(_shuffleIndex, shuffle, sequence);
        long begin = Read(_sampleIndex, samples, 2 * s), beginOffset = Read(_sampleIndex, samples, 2 * s + 1);
        long end = Read(_sampleIndex, samples, 2 * s + 2), endOffset = Read(_sampleIndex, samples, 2 * s + 3);
        int n = 0;
        for (long k = begin; k <= end; k++)
        {
            long row = Read(_documentIndex, docs, k);
            long offset = k == begin ? beginOffset : 0;
            long stop = k == end ? endOffset + _extra : documents.LengthOf(row);
            if (stop > offset)
                destination[n++] = new DocumentSegment(row, offset, (int)(stop - offset));
        }
        return n;
    }

    public override void Dispose()
    {
        _documentIndex.Dispose();
        _sampleIndex.Dispose();
        _shuffleIndex.Dispose();
        base.Dispose();
    }

    private static long Read(NpyArray array, in MappedFile.Lease lease, long flat)
    {
        // Copied out of the mapping as every read is (an exception, never a fault, if the file lost the page), then widened.
        int item = array.DType.ItemSize;
        byte* stored = stackalloc byte[8];
        long value;
        lease.Read(array.DataStart + flat * item, stored, item);
        TokenCopier.Widen(stored, &value, 1, array.DType);
        return value;
    }

    // Every entry in range and every sample exactly T + 1 tokens long, in one pass over each array.
    private void Validate(RaggedArray sequences)
    {
        CheckInteger(_documentIndex);
        CheckInteger(_sampleIndex);
        CheckInteger(_shuffleIndex);
        if (_documentIndex.Rank != 1)
            throw new InvalidDataException(Messages.Format(Messages.GptIndexShape, _documentIndex.Path, _documentIndex.Header.FormatShape(), "the document index is 1-d"));
        if (_sampleIndex.Rank != 2 || _sampleIndex.Shape[1] != 2 || _sampleIndex.Shape[0] < 1)
            throw new InvalidDataException(Messages.Format(Messages.GptIndexShape, _sampleIndex.Path, _sampleIndex.Header.FormatShape(), "the sample index has shape (samples + 1, 2)"));
        if (_shuffleIndex.Rank != 1)
            throw new InvalidDataException(Messages.Format(Messages.GptIndexShape, _shuffleIndex.Path, _shuffleIndex.Header.FormatShape(), "the shuffle index is 1-d"));
        long samples = _sampleIndex.Length - 1;
        long documents = _documentIndex.Length;
        using RaggedArray.Reader reader = sequences.OpenReader();
        using (MappedFile.Lease docs = _documentIndex.AcquireForAccess())
        {
            for (long k = 0; k < documents; k++)
            {
                long row = Read(_documentIndex, docs, k);
                if ((ulong)row >= (ulong)sequences.Count)
                    throw new InvalidDataException(Messages.Format(Messages.GptDocumentOutside, _documentIndex.Path, k, row, sequences.Count));
            }
            using MappedFile.Lease rows = _sampleIndex.AcquireForAccess();
            long previousDoc = 0, previousOffset = 0;
            for (long i = 0; i <= samples; i++)
            {
                long doc = Read(_sampleIndex, rows, 2 * i), offset = Read(_sampleIndex, rows, 2 * i + 1);
                long docLength = (ulong)doc < (ulong)documents ? reader.LengthOf(Read(_documentIndex, docs, doc)) : -1;
                if (docLength < 0 || offset < 0 || offset > docLength)
                    throw new InvalidDataException(Messages.Format(Messages.GptSampleOutside, _sampleIndex.Path, i, doc, offset, documents, docLength));
                if (i > 0)
                {
                    if (doc < previousDoc || (doc == previousDoc && offset < previousOffset))
                        throw new InvalidDataException(Messages.Format(Messages.GptSampleDecreases, _sampleIndex.Path, i, doc, offset, i - 1, previousDoc, previousOffset));
                    // Tokens from (previousDoc, previousOffset) to (doc, offset), plus the extra token.
                    long tokens = -previousOffset;
                    for (long k = previousDoc; k < doc; k++)
                        tokens += reader.LengthOf(Read(_documentIndex, docs, k));
                    tokens += offset + _extra;
                    if (tokens != Slots - 1 + _extra)
                        throw new InvalidDataException(Messages.Format(Messages.GptSampleLength, _sampleIndex.Path, i - 1, tokens, _t, Slots - 1 + _extra));
                    if (_extra == 1 && offset + 1 > docLength)
                        throw new InvalidDataException(Messages.Format(Messages.GptSampleOutside, _sampleIndex.Path, i, doc, offset, documents, docLength));
                }
                previousDoc = doc;
                previousOffset = offset;
            }
        }
        if (_shuffleIndex.Length != samples)
            throw new InvalidDataException(Messages.Format(Messages.GptShuffleLength, _shuffleIndex.Path, _shuffleIndex.Length, _sampleIndex.Path, samples));
        using MappedFile.Lease shuffle = _shuffleIndex.AcquireForAccess();
        for (long i = 0; i < samples; i++)
        {
            long s = Read(_shuffleIndex, shuffle, i);
            if ((ulong)s >= (ulong)samples)
                throw new InvalidDataException(Messages.Format(Messages.GptShuffleOutside, _shuffleIndex.Path, i, s, samples));
        }
    }

    private static void CheckInteger(NpyArray array)
    {
        if (array.DType.Kind is not (NpyKind.SignedInteger or NpyKind.UnsignedInteger))
            throw new InvalidDataException(Messages.Format(Messages.GptIndexNotInteger, array.Path, array.DType));
    }
}
