using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Documents;

public sealed class RaggedArrayShardsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-shards-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static long[][] Documents(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, random.Next(0, 20)).Select(_ => (long)random.Next(1, 60000)).ToArray()).ToArray();
    }

    [Fact]
    public void Concat_NpyPairAndIndexedDataset_ReadAsOneArray_PackedAsOne()
    {
        long[][] first = Documents(7, 1), second = [], third = Documents(9, 2);
        RaggedArray a = DocumentFiles.WriteNpyPair(_dir, first, "a");
        RaggedArray b = DocumentFiles.WriteNpyPair(_dir, [.. second, [5]], "b");
        IndexedDataset c = IndexedDataset.Open(DocumentFiles.WriteIndexed(_dir, third, "c"), IndexedDatasetConvention.Megatron);
        long[][] all = [.. first, [5], .. third];
        using (c)
        using (RaggedArray docs = RaggedArray.Concat([a, b, c.Sequences]))
        {
            Assert.Equal(all.Length, docs.Count);
            Assert.Equal(all.Sum(d => d.Length), docs.ValueCount);
            for (int i = 0; i < all.Length; i++)
                Assert.Equal(all[i], docs.Read(i));
            using var packed = new PackedDocumentDataset(docs, blockSize: 8, PackingMode.Split);
            long[] stream = all.SelectMany(d => d).ToArray();
            Dictionary<string, Tensor> batch = packed.GetBatch(Enumerable.Range(0, (int)packed.Count).Select(i => (long)i).ToArray());
            Assert.Equal(stream[..(int)(packed.Count * 8)], batch["x"].data<long>().ToArray());
            foreach (Tensor t in batch.Values)
                t.Dispose();
            Assert.Contains("and 2 more shards", docs.IndexPath);
        }
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public void Concat_FloatAndIntegerShards_Refused()
    {
        using RaggedArray a = DocumentFiles.WriteNpyPair(_dir, [[1]], "a");
        string prefix = Path.Combine(_dir, "f");
        using (IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.Float32, IndexedDatasetConvention.Megatron))
        {
            writer.AddSequence([1.0]);
            writer.Complete();
        }
        using IndexedDataset f = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        var ex = Assert.Throws<ArgumentException>(() => RaggedArray.Concat([a, f.Sequences]));
        Assert.Contains("integers of any width", ex.Message);
    }

    [Fact]
    public void Subset_OfPaddedDocuments_LoadsTheChosenDocuments()
    {
        long[][] all = Documents(20, 3);
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, all);
        using var padded = new PaddedDocumentDataset(docs, maxLength: 8, padToMaxLength: true);
        Subset[] split = Subset.RandomSplit(padded, [15L, 5L], seed: 4);
        using var loader = new NpyDataLoader(split[1], batchSize: 2, num_workers: 1);
        var seen = new List<long>();
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            long[] rows = batch["documents"].data<long>().ToArray();
            long[] x = batch["x"].data<long>().ToArray();
            for (int r = 0; r < rows.Length; r++)
            {
                long[] doc = all[rows[r]];
                Assert.Equal(doc.Take(8), x.AsSpan(r * 8, Math.Min(8, doc.Length)).ToArray());
            }
            seen.AddRange(rows);
        }
        Assert.Equal(split[1].Indices, seen);
    }
}
