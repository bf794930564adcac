using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>Writes packed sequences into the rows of a batch's tensors: tokens straight from the mapping, then the document
/// ids, positions, loss mask and boundaries from the segments. One rule for every packed layout.</summary>
internal readonly unsafe struct PackedRows
{
    private readonly long* _x, _y, _documents, _positions;
    private readonly float* _loss;
    private readonly int* _cu;
    private readonly int _t;
    private readonly long _pad, _ignore;

    public PackedRows(long* x, long* y, long* documents, long* positions, float* loss, int* cu, int blockSize, long padToken, long ignoreIndex)
    {
        _x = x;
        _y = y;
        _documents = documents;
        _positions = positions;
        _loss = loss;
        _cu = cu;
        _t = blockSize;
        _pad = padToken;
        _ignore = ignoreIndex;
    }

    /// <summary>Fills row <paramref name="row"/> from <paramref name="segments"/> (lengths adding up to at most T + 1).</summary>
    /// <remarks>Fully optimised from the first call: a run makes a few thousand calls, too few for tiered compilation to
    /// promote the per-token loops before it is over.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Write(int row, in RaggedArray.Reader reader, ReadOnlySpan<DocumentSegment> segments)
    {
        int t = _t;
        long* x = _x + (long)row * t, y = _y + (long)row * t, doc = _documents + (long)row * t, pos = _positions + (long)row * t;
        float* loss = _loss + (long)row * t;
        int* cu = _cu + (long)row * (t + 1);
        long last = _ignore;   // the token in slot T, the last input's target
        int used = 0, boundaries = 0;
        cu[boundaries++] = 0;
        foreach (DocumentSegment s in segments)
        {
            int a = used, e = used + s.Length;
            int end = Math.Min(e, t);
            int inputs = end - Math.Min(a, t);
            if (inputs > 0)
            {
                reader.Copy(s.Row, s.Offset, inputs, x + a);
                new Span<long>(doc + a, inputs).Fill(s.Row);
                new Span<float>(loss + a, inputs).Fill(1f);
                CountUp(pos + a, inputs);
                // The piece's last input has no target in the same document (unless the piece runs on into slot T).
                if (e <= t)
                    loss[e - 1] = 0f;
                cu[boundaries++] = end;
            }
            if (e > t)
                reader.Copy(s.Row, s.Offset + (t - a), 1, &last);
            used = e;
        }
        if (used < t)
        {
            int padding = t - used;
            new Span<long>(x + used, padding).Fill(_pad);
            new Span<long>(doc + used, padding).Fill(-1);
            new Span<long>(pos + used, padding).Clear();
            new Span<float>(loss + used, padding).Clear();
            cu[boundaries++] = t;
        }
        new Span<int>(cu + boundaries, t + 1 - boundaries).Fill(t);
        // Targets: the next slot, kept only where the loss mask trains it.
        if (t > 1)
            Buffer.MemoryCopy(x + 1, y, (t - 1) * 8L, (t - 1) * 8L);
        y[t - 1] = last;
        used = 0;
        foreach (DocumentSegment s in segments)
        {
            used += s.Length;
            if (used <= t)
                y[used - 1] = _ignore;
        }
        if (used < t)
            new Span<long>(y + used, t - used).Fill(_ignore);
    }

    // dst[j] = j for j < count: the positions of one document piece, four at a time where the hardware allows.
    private static void CountUp(long* dst, int count)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && count >= Vector256<long>.Count)
        {
            Vector256<long> positions = Vector256.Create(0L, 1L, 2L, 3L);
            Vector256<long> step = Vector256.Create((long)Vector256<long>.Count);
            for (; j + Vector256<long>.Count <= count; j += Vector256<long>.Count)
            {
                positions.Store(dst + j);
                positions += step;
            }
        }
        for (; j < count; j++)
            dst[j] = j;
    }
}
