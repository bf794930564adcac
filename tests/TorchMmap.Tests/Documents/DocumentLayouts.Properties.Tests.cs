using CsCheck;
using TorchMmap.Data;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Documents;

/// <summary>
/// For random documents and every layout: each token of each document is where the layout's segments say, masks never let a
/// token see or predict across a document boundary, padding is masked, and a batch's unmasked tokens give back the documents.
/// </summary>
public sealed class DocumentLayoutsPropertyTests
{
    private const long Ignore = -100;
    private const long Pad = 0;

    private static readonly Gen<(long[][] Documents, int T)> s_cases = Gen.Select(
        Gen.Long[1, 50000].Array[0, 40].Array[0, 14],
        Gen.Int[1, 12]);

    private static long[] Longs(Tensor t) => t.numel() == 0 ? [] : t.to(ScalarType.Int64).data<long>().ToArray();

    private static void WithDocuments(long[][] documents, Action<RaggedArray> check)
    {
        string dir = Directory.CreateTempSubdirectory("torchmmap-props-").FullName;
        try
        {
            using RaggedArray docs = DocumentFiles.WriteNpyPair(dir, documents);
            check(docs);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Packed_EveryMode_TokensMasksAndBoundariesAgreeWithTheSegments()
    {
        s_cases.Sample(c => WithDocuments(c.Documents, docs =>
        {
            foreach (PackingMode mode in Enum.GetValues<PackingMode>())
                CheckPacked(c.Documents, docs, c.T, mode);
        }), iter: 60, seed: "0N0XIzNsQ0O2");
    }

    private static void CheckPacked(long[][] documents, RaggedArray docs, int t, PackingMode mode)
    {
        using var data = new PackedDocumentDataset(docs, t, mode, padToken: Pad, ignoreIndex: Ignore);
        long[] all = Enumerable.Range(0, (int)data.Count).Select(i => (long)i).ToArray();
        Dictionary<string, Tensor> batch = data.GetBatch(all);
        using Tensor causal = DocumentMasks.Causal(batch["cu_seqlens"]);
        long[] x = Longs(batch["x"]), y = Longs(batch["y"]), ids = Longs(batch["document_ids"]), pos = Longs(batch["position_ids"]), cu = Longs(batch["cu_seqlens"]);
        float[] loss = batch["loss_mask"].numel() == 0 ? [] : batch["loss_mask"].data<float>().ToArray();
        bool[] mask = causal.numel() == 0 ? [] : causal.data<bool>().ToArray();
        var pieces = new List<(long Row, long Offset, long[] Tokens)>();
        var inputs = new List<(long Row, long Offset)>();
        DocumentSegment? previousLast = null;
        for (int s = 0; s < all.Length; s++)
        {
            DocumentSegment[] segments = data.SegmentsOf(s);
            Assert.True(segments.Sum(g => g.Length) <= t + 1);
            int a = 0;
            var segmentOf = new int[t];
            Array.Fill(segmentOf, -1);
            var boundaries = new List<long> { 0 };
            for (int k = 0; k < segments.Length; k++)
            {
                DocumentSegment g = segments[k];
                Assert.True(g.Length > 0 && g.Offset >= 0 && g.Offset + g.Length <= documents[g.Row].Length);
                if (mode == PackingMode.BestFit)
                    Assert.True(g.Offset % (t + 1) == 0 && (g.Length == t + 1 || g.Offset + g.Length == documents[g.Row].Length), "best-fit splits only into whole pieces of T + 1");
                for (int j = a; j < Math.Min(a + g.Length, t); j++)
                {
                    int at = s * t + j;
                    Assert.Equal(documents[g.Row][g.Offset + j - a], x[at]);
                    Assert.Equal(g.Row, ids[at]);
                    Assert.Equal(j - a, pos[at]);
                    bool trained = j + 1 < a + g.Length;
                    Assert.Equal(trained ? 1f : 0f, loss[at]);
                    Assert.Equal(trained ? documents[g.Row][g.Offset + j - a + 1] : Ignore, y[at]);
                    segmentOf[j] = k;
                    inputs.Add((g.Row, g.Offset + j - a));
                }
                if (a < t)
                    boundaries.Add(Math.Min(a + g.Length, t));
                pieces.Add((g.Row, g.Offset, documents[g.Row].AsSpan((int)g.Offset, g.Length).ToArray()));
                a += g.Length;
            }
            for (int j = a; j < t; j++)
            {
                int at = s * t + j;
                Assert.Equal((Pad, Ignore, -1L, 0f), (x[at], y[at], ids[at], loss[at]));
            }
            if (a < t)
                boundaries.Add(t);
            while (boundaries.Count < t + 1)
                boundaries.Add(t);
            Assert.Equal(boundaries, cu.AsSpan(s * (t + 1), t + 1).ToArray());
            // Attention: query i sees key j exactly when j <= i within one segment (padding is a segment of its own).
            for (int i = 0; i < t; i++)
            {
                for (int j = 0; j < t; j++)
                {
                    bool allowed = mask[(s * t + i) * t + j];
                    Assert.Equal(j <= i && segmentOf[i] == segmentOf[j], allowed);
                    if (allowed)
                        Assert.Equal(ids[s * t + i], ids[s * t + j]);
                }
            }
            if (mode == PackingMode.Aligned && segments.Length > 0 && segments[0].Offset != 0)
            {
                // Only a document that filled the whole previous sequence continues, from that sequence's last target.
                Assert.NotNull(previousLast);
                Assert.Equal(previousLast!.Value.Row, segments[0].Row);
                Assert.Equal(previousLast.Value.Offset + t, segments[0].Offset);
            }
            previousLast = segments.Length == 0 ? null : segments[^1];
        }
        long[] stream = documents.SelectMany(d => d).ToArray();
        switch (mode)
        {
            case PackingMode.Split:
                // The inputs in order are the stream; nothing is padded.
                Assert.Equal(stream.Length <= 1 ? 0 : (stream.Length - 1) / t * (long)t, x.Length);
                Assert.Equal(stream[..x.Length], x);
                break;
            case PackingMode.BestFit:
                // Every document, whole: its pieces in sequence order concatenate to it.
                for (int d = 0; d < documents.Length; d++)
                    Assert.Equal(documents[d], pieces.Where(p => p.Row == d).SelectMany(p => p.Tokens));
                break;
            case PackingMode.Aligned:
                // No token is an input twice (a sequence's last slot, a target only, may be the next sequence's first input).
                Assert.Equal(inputs.Count, inputs.Distinct().Count());
                break;
        }
        foreach (Tensor tensor in batch.Values)
            tensor.Dispose();
    }

    [Fact]
    public void Padded_AndTokenBudget_RowsAreDocumentPrefixes_PaddingMasked()
    {
        s_cases.Sample(c => WithDocuments(c.Documents, docs =>
        {
            using var padded = new PaddedDocumentDataset(docs, c.T, padToken: Pad, ignoreIndex: Ignore);
            long[] all = Enumerable.Range(0, (int)padded.Count).Select(i => (long)i).ToArray();
            CheckPadded(c.Documents, padded.GetBatch(all), c.T);
            using var budget = new TokenBudgetBatchDataset(docs, maxTokens: 3 * c.T, maxLength: c.T, seed: c.T);
            var grouped = new List<long>();
            for (long b = 0; b < budget.Count; b++)
            {
                Dictionary<string, Tensor> batch = budget.GetBatch([b]);
                Assert.True(batch["x"].shape[0] * batch["x"].shape[1] <= 3 * c.T);
                grouped.AddRange(CheckPadded(c.Documents, batch, c.T));
            }
            Assert.Equal(Enumerable.Range(0, c.Documents.Length).Where(d => c.Documents[d].Length > 0).Select(d => (long)d), grouped.Order());
        }), iter: 60, seed: "0VqN2Y6r4Y12");
    }

    // Returns the documents of the batch; disposes it.
    private static long[] CheckPadded(long[][] documents, Dictionary<string, Tensor> batch, int t)
    {
        long[] x = Longs(batch["x"]), y = Longs(batch["y"]), lengths = Longs(batch["lengths"]), rows = Longs(batch["documents"]), attention = Longs(batch["attention_mask"]);
        float[] loss = batch["loss_mask"].numel() == 0 ? [] : batch["loss_mask"].data<float>().ToArray();
        int width = (int)batch["x"].shape[1];
        var unmasked = new List<long>();
        for (int r = 0; r < rows.Length; r++)
        {
            long[] doc = documents[rows[r]];
            int l = Math.Min(doc.Length, t);
            Assert.Equal(l, lengths[r]);
            for (int j = 0; j < width; j++)
            {
                int at = r * width + j;
                bool real = j < l, trained = j < l && j + 1 < doc.Length;
                Assert.Equal(real ? 1 : 0, attention[at]);
                Assert.Equal(trained ? 1f : 0f, loss[at]);
                Assert.Equal(real ? doc[j] : Pad, x[at]);
                Assert.Equal(trained ? doc[j + 1] : Ignore, y[at]);
                if (real)
                    unmasked.Add(x[at]);
            }
        }
        Assert.Equal(rows.SelectMany(d => documents[d].Take(t)), unmasked);
        foreach (Tensor tensor in batch.Values)
            tensor.Dispose();
        return rows;
    }
}
