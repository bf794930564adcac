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
            int inputs = Math.Min(e, t) - Math.Min(a, t);
            if (inputs > 0)
                reader.Copy(s.Row, s.Offset, inputs, x + a);
            if (e > t)
                reader.Copy(s.Row, s.Offset + (t - a), 1, &last);
            for (int j = a; j < Math.Min(e, t); j++)
            {
                doc[j] = s.Row;
                pos[j] = j - a;
                loss[j] = j + 1 < e ? 1f : 0f;
            }
            if (a < t)
                cu[boundaries++] = Math.Min(e, t);
            used = e;
        }
        for (int j = used; j < t; j++)
        {
            x[j] = _pad;
            doc[j] = -1;
            pos[j] = 0;
            loss[j] = 0f;
        }
        if (used < t)
            cu[boundaries++] = t;
        for (int k = boundaries; k <= t; k++)
            cu[k] = t;
        // Targets: the next slot, kept only where the loss mask trains it.
        if (t > 1)
            Buffer.MemoryCopy(x + 1, y, (t - 1) * 8L, (t - 1) * 8L);
        y[t - 1] = last;
        for (int j = 0; j < t; j++)
        {
            if (loss[j] == 0f)
                y[j] = _ignore;
        }
    }
}
