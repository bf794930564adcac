using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>Megatron-LM / GPT-NeoX packing: the documents, in order, as one stream cut into sequences every T tokens
/// (each sequence holds T + 1 tokens, overlapping the next by one); documents are split wherever a cut falls.</summary>
internal sealed class SplitPackingPlan : PackingPlan
{
    private readonly long[] _ends;   // _ends[i]: tokens in documents 0..i (prefix sums, 8 bytes per document)
    private readonly int _t;

    public SplitPackingPlan(RaggedArray documents, int blockSize) : base(blockSize + 1)
    {
        _t = blockSize;
        _ends = DocumentLengths.PrefixSums(documents);
        long total = _ends.Length == 0 ? 0 : _ends[^1];
        // As Megatron: every sequence needs T + 1 tokens; the last partial one is dropped.
        Count = total <= 1 ? 0 : (total - 1) / blockSize;
        TotalTokens = total;
    }

    public override long Count { get; }

    public long TotalTokens { get; }

    public override string Description => $"split(T={_t})";

    public override int Segments(long sequence, in RaggedArray.Reader documents, Span<DocumentSegment> destination)
    {
        long start = sequence * _t;
        return DocumentLengths.Segments(_ends, start, Math.Min(start + Slots, TotalTokens), destination);
    }
}
