using System.Runtime.InteropServices;
using TorchMmap.Data;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Documents;

public sealed class PaddedLayoutsTests : IDisposable
{
    private static readonly long[][] s_documents = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [11], []];
    private const long I = -100;

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-padded-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static long[] Longs(Tensor t) => t.to(ScalarType.Int64).data<long>().ToArray();

    [Fact]
    public void Padded_ToLongest_CutsAtTAndTrainsTheCutTokenOnTheNextOne()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        using var data = new PaddedDocumentDataset(docs, maxLength: 4);
        Dictionary<string, Tensor> batch = data.GetBatch([1, 2, 4]);
        Assert.Equal(new long[] { 3, 4 }, batch["x"].shape);
        Assert.Equal(new long[] { 4, 5, 0, 0, 6, 7, 8, 9, 0, 0, 0, 0 }, Longs(batch["x"]));
        // Document 2 is cut at 4 tokens: its fourth input still has its next token (10) as target.
        Assert.Equal(new long[] { 5, I, I, I, 7, 8, 9, 10, I, I, I, I }, Longs(batch["y"]));
        Assert.Equal(new long[] { 2, 4, 0 }, Longs(batch["lengths"]));
        Assert.Equal(new long[] { 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0 }, Longs(batch["attention_mask"]));
        Assert.Equal(new long[] { 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0 }, Longs(batch["loss_mask"]));
        Assert.Equal(new long[] { 1, 2, 4 }, Longs(batch["documents"]));
        foreach (Tensor t in batch.Values)
            t.Dispose();
    }

    [Fact]
    public void Padded_WithColumns_LoaderFillsSlotsWithBoth()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        string labels = Path.Combine(_dir, "labels.npy");
        File.WriteAllBytes(labels, NpyBytes.File("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", MemoryMarshal.AsBytes(new long[] { 10, 20, 30, 40, 50 }.AsSpan()).ToArray()));
        using NpyMmapDataset columns = NpyMmapDataset.Open(("label", labels));
        using var data = new PaddedDocumentDataset(docs, maxLength: 4, padToMaxLength: true, columns: columns);
        Assert.Contains("label", data.Names);
        using var loader = new NpyDataLoader(data, batchSize: 2, num_workers: 2);
        var seen = new List<long>();
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            Assert.Equal(4, batch["x"].shape[1]);
            long[] documents = Longs(batch["documents"]);
            Assert.Equal(documents.Select(d => (d + 1) * 10), Longs(batch["label"]));
            seen.AddRange(documents);
        }
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, seen);
    }

    [Fact]
    public void Padded_ColumnsOfAnotherLength_Refused()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        string labels = Path.Combine(_dir, "labels.npy");
        File.WriteAllBytes(labels, NpyBytes.File("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new byte[16]));
        using NpyMmapDataset columns = NpyMmapDataset.Open(("label", labels));
        Assert.Throws<ArgumentException>(() => new PaddedDocumentDataset(docs, 4, columns: columns));
    }

    private static long[][] RandomDocuments(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, random.Next(0, 60)).Select(_ => (long)random.Next(1, 1000)).ToArray()).ToArray();
    }

    [Fact]
    public void TokenBudget_EveryBatchWithinBudget_EveryNonEmptyDocumentOnce()
    {
        long[][] documents = RandomDocuments(300, 11);
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, documents);
        using var data = new TokenBudgetBatchDataset(docs, maxTokens: 200, maxLength: 48, seed: 9, bucketSize: 64);
        var seen = new List<long>();
        for (long b = 0; b < data.Count; b++)
        {
            Dictionary<string, Tensor> batch = data.GetBatch([b]);
            Assert.True(batch["x"].shape[0] * batch["x"].shape[1] <= 200);
            long[] rows = Longs(batch["documents"]);
            Assert.Equal(data.DocumentsOf(b), rows);
            long[] x = Longs(batch["x"]);
            int width = (int)batch["x"].shape[1];
            for (int r = 0; r < rows.Length; r++)
            {
                long[] doc = documents[rows[r]];
                int l = Math.Min(doc.Length, 48);
                Assert.Equal(doc[..l], x.AsSpan(r * width, l).ToArray());
            }
            seen.AddRange(rows);
            foreach (Tensor t in batch.Values)
                t.Dispose();
        }
        Assert.Equal(Enumerable.Range(0, documents.Length).Where(d => documents[d].Length > 0).Select(d => (long)d), seen.Order());
        // Length buckets keep padding small: over 80% of positions are real tokens here.
        Assert.True(data.ComputeStatistics().Efficiency > 0.8, $"efficiency {data.ComputeStatistics().Efficiency}");
    }

    [Fact]
    public void TokenBudget_SameSeed_SameGrouping_OtherSeed_Other()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, RandomDocuments(100, 2));
        using var a = new TokenBudgetBatchDataset(docs, 256, 64, seed: 1);
        using var b = new TokenBudgetBatchDataset(docs, 256, 64, seed: 1);
        using var c = new TokenBudgetBatchDataset(docs, 256, 64, seed: 2);
        Assert.Equal(Enumerable.Range(0, (int)a.Count).Select(i => a.DocumentsOf(i)), Enumerable.Range(0, (int)b.Count).Select(i => b.DocumentsOf(i)));
        Assert.NotEqual(Enumerable.Range(0, (int)a.Count).SelectMany(i => a.DocumentsOf(i)), Enumerable.Range(0, (int)c.Count).SelectMany(i => c.DocumentsOf(i)));
        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.NotNull(a.Fingerprint.DifferenceFrom(c.Fingerprint));
    }

    [Fact]
    public void TokenBudget_DistributedReplicas_ShareTheBatchesAndResume()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, RandomDocuments(200, 4));
        using var data = new TokenBudgetBatchDataset(docs, 256, 64, seed: 5);
        var perRank = new List<long>[2];
        for (int rank = 0; rank < 2; rank++)
        {
            perRank[rank] = [];
            using var loader = new NpyDataLoader(data, batchSize: 1, sampler: new DistributedSampler(data.Count, num_replicas: 2, rank: rank, seed: 8), num_workers: 1);
            foreach (Dictionary<string, Tensor> batch in loader)
                perRank[rank].AddRange(Longs(batch["documents"]));
        }
        // Disjoint shares that together hold every grouped document (PyTorch pads an odd count by repeating the first batch).
        long[] all = Enumerable.Range(0, (int)data.Count).SelectMany(i => data.DocumentsOf(i)).Order().ToArray();
        Assert.Equal(all, perRank[0].Concat(perRank[1]).Distinct().Order());
        if (data.Count % 2 == 0)
            Assert.Empty(perRank[0].Intersect(perRank[1]));

        // Resume: three batches, a checkpoint, then a new loader continues with the same batches as an uninterrupted epoch.
        List<long[]> Uninterrupted()
        {
            using var loader = new NpyDataLoader(data, batchSize: 1, shuffle: true, seed: 3);
            return loader.Select(b => Longs(b["documents"])).ToList();
        }
        List<long[]> full = Uninterrupted();
        NpyLoaderState state;
        using (var first = new NpyDataLoader(data, batchSize: 1, shuffle: true, seed: 3))
        {
            using IEnumerator<Dictionary<string, Tensor>> e = first.GetEnumerator();
            for (int k = 0; k < 3; k++)
                Assert.True(e.MoveNext());
            state = first.state_dict();
        }
        using var resumed = new NpyDataLoader(data, batchSize: 1, shuffle: true, seed: 3);
        resumed.load_state_dict(NpyLoaderState.FromJson(state.ToJson()));
        Assert.Equal(full.Skip(3), resumed.Select(b => Longs(b["documents"])));
    }
}
