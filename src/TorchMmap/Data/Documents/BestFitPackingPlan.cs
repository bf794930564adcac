using System.Numerics;
using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>
/// Best-fit-decreasing packing without splitting, as OLMo packs: documents longer than a sequence are first cut into pieces of
/// T + 1 tokens; then, longest first (ties in document order), each piece goes into the open sequence with the least room that
/// still holds it, or into a new sequence. No document piece is split between sequences; the rest of each sequence is padding.
/// The plan is computed once when the dataset is made (about 16 bytes per piece).
/// </summary>
internal sealed class BestFitPackingPlan : PackingPlan
{
    private readonly int[] _first;            // _first[s]: index in _segments of sequence s's first segment; _first[^1] = total
    private readonly DocumentSegment[] _segments;
    private readonly int _t;

    public BestFitPackingPlan(RaggedArray documents, int blockSize) : base(blockSize + 1)
    {
        _t = blockSize;
        int capacity = Slots;
        var pieces = new List<DocumentSegment>();
        using (RaggedArray.Reader reader = documents.OpenReader())
        {
            for (long d = 0; d < documents.Count; d++)
            {
                long length = reader.LengthOf(d);
                for (long offset = 0; offset < length; offset += capacity)
                    pieces.Add(new DocumentSegment(d, offset, (int)Math.Min(capacity, length - offset)));
            }
        }
        DocumentSegment[] order = pieces.ToArray();
        // Stable: longest first, ties in document order.
        int[] keys = Enumerable.Range(0, order.Length).ToArray();
        Array.Sort(keys, (a, b) => order[a].Length != order[b].Length ? order[b].Length.CompareTo(order[a].Length) : a.CompareTo(b));

        // Open sequences by remaining room; a bit per room value says whether any sequence has exactly that much.
        var byRoom = new Stack<int>[capacity + 1];
        ulong[] nonEmpty = new ulong[capacity / 64 + 1];
        var contents = new List<List<DocumentSegment>>();
        var rooms = new List<int>();
        foreach (int k in keys)
        {
            DocumentSegment piece = order[k];
            int room = FindRoom(nonEmpty, piece.Length, capacity);
            int target;
            if (room < 0)
            {
                target = contents.Count;
                contents.Add([]);
                rooms.Add(capacity);
            }
            else
            {
                target = byRoom[room].Pop();
                if (byRoom[room].Count == 0)
                    nonEmpty[room / 64] &= ~(1UL << (room % 64));
            }
            contents[target].Add(piece);
            int left = rooms[target] - piece.Length;
            rooms[target] = left;
            (byRoom[left] ??= new Stack<int>()).Push(target);
            nonEmpty[left / 64] |= 1UL << (left % 64);
        }
        _first = new int[contents.Count + 1];
        _segments = new DocumentSegment[order.Length];
        int n = 0;
        long used = 0;
        for (int s = 0; s < contents.Count; s++)
        {
            _first[s] = n;
            foreach (DocumentSegment piece in contents[s])
            {
                _segments[n++] = piece;
                used += piece.Length;
            }
        }
        _first[^1] = n;
        RealTokens = used;
    }

    public override long Count => _first.Length - 1;

    public long RealTokens { get; }

    public override string Description => $"best-fit(T={_t})";

    public override int Segments(long sequence, in RaggedArray.Reader documents, Span<DocumentSegment> destination)
    {
        int from = _first[sequence], to = _first[sequence + 1];
        _segments.AsSpan(from, to - from).CopyTo(destination);
        return to - from;
    }

    // The smallest room >= need that some open sequence has, or -1.
    private static int FindRoom(ulong[] nonEmpty, int need, int capacity)
    {
        if (need > capacity)
            return -1;
        int word = need / 64;
        ulong bits = nonEmpty[word] & (ulong.MaxValue << (need % 64));
        while (true)
        {
            if (bits != 0)
            {
                int room = word * 64 + BitOperations.TrailingZeroCount(bits);
                return room <= capacity ? room : -1;
            }
            if (++word >= nonEmpty.Length)
                return -1;
            bits = nonEmpty[word];
        }
    }
}
