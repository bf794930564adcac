using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>
/// BOS-aligned packing, as the NanoGPT speedrun aligns its sequences: every sequence starts at a document start and runs on
/// through the following documents for T + 1 tokens. The next sequence starts at the first document start at or after the
/// position after the previous sequence's last input, so the tail of a document cut by the end of a sequence is dropped; a
/// document that fills a whole sequence is the exception: it continues in the next sequence (from the previous one's last
/// target, as free splitting does) until it ends. The last sequence is padded.
/// </summary>
internal sealed class AlignedPackingPlan : PackingPlan
{
    private readonly long[] _ends;
    private readonly long[] _starts;   // stream position of each sequence's first token
    private readonly int _t;

    public AlignedPackingPlan(RaggedArray documents, int blockSize) : base(blockSize + 1)
    {
        _t = blockSize;
        _ends = DocumentLengths.PrefixSums(documents);
        long total = _ends.Length == 0 ? 0 : _ends[^1];
        var starts = new List<long>();
        long s = 0;
        int d = NextNonEmpty(0);
        long dropped = 0;
        while (d < _ends.Length && s < total)
        {
            starts.Add(s);
            long cut = s + blockSize;   // the first position not used as an input
            if (cut >= total)
                break;
            // Document holding the cut.
            while (_ends[d] <= cut)
                d++;
            long docStart = d == 0 ? 0 : _ends[d - 1];
            long next;
            if (docStart == cut)
                next = cut;
            else if (docStart <= s && _ends[d] > cut + 1)
                next = cut;   // the whole sequence lies in one long document with tokens left to train: continue it
            else
            {
                next = _ends[d];   // skip the cut document's tail
                d = NextNonEmpty(d + 1);
            }
            dropped += next - cut;
            s = next;
        }
        _starts = starts.ToArray();
        TotalTokens = total;
        DroppedTokens = dropped;
    }

    public override long Count => _starts.Length;

    public long TotalTokens { get; }

    /// <summary>Tokens of cut documents that no sequence holds.</summary>
    public long DroppedTokens { get; }

    public override string Description => $"aligned(T={_t})";

    public override int Segments(long sequence, in RaggedArray.Reader documents, Span<DocumentSegment> destination)
    {
        long start = _starts[sequence];
        return DocumentLengths.Segments(_ends, start, Math.Min(start + Slots, TotalTokens), destination);
    }

    private int NextNonEmpty(int d)
    {
        while (d < _ends.Length && _ends[d] == (d == 0 ? 0 : _ends[d - 1]))
            d++;
        return d;
    }
}
