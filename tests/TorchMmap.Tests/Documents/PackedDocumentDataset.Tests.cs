using TorchMmap.Data;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Documents;

public sealed class PackedDocumentDatasetTests : IDisposable
{
    // A = 1 2 3, B = 4 5, C = 6 7 8 9 10, D = 11; T = 4, so a sequence holds 5 token slots.
    private static readonly long[][] s_documents = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [11]];
    private const long I = -100;

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-packed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static long[] Row(Dictionary<string, Tensor> batch, string name, int row) => batch[name][row].to(ScalarType.Int64).data<long>().ToArray();

    private static void AssertRow(Dictionary<string, Tensor> batch, int row, long[] x, long[] y, long[] docs, long[] positions, long[] loss, long[] cu)
    {
        Assert.Equal(x, Row(batch, "x", row));
        Assert.Equal(y, Row(batch, "y", row));
        Assert.Equal(docs, Row(batch, "document_ids", row));
        Assert.Equal(positions, Row(batch, "position_ids", row));
        Assert.Equal(loss, Row(batch, "loss_mask", row));
        Assert.Equal(cu, Row(batch, "cu_seqlens", row));
    }

    [Fact]
    public void HintsByDefault_Documents_CountTheValuesBytes()
    {
        // 11 int32 tokens: 44 bytes of values, the part of the files the samples are read from.
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        using var data = new PackedDocumentDataset(docs, blockSize: 4, PackingMode.Split);

        Assert.True(NpyDataLoader.HintsByDefault(data, memoryBytes: 43));
        Assert.False(NpyDataLoader.HintsByDefault(data, memoryBytes: 44));
    }

    [Fact]
    public void Split_CutsTheStreamEveryT_MasksEveryDocumentBoundary()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        using var data = new PackedDocumentDataset(docs, blockSize: 4, PackingMode.Split);
        // 11 tokens: (11 - 1) / 4 = 2 sequences, as Megatron counts them; the last partial one is dropped.
        Assert.Equal(2, data.Count);
        Dictionary<string, Tensor> batch = data.GetBatch([0, 1]);
        AssertRow(batch, 0, [1, 2, 3, 4], [2, 3, I, 5], [0, 0, 0, 1], [0, 1, 2, 0], [1, 1, 0, 1], [0, 3, 4, 4, 4]);
        AssertRow(batch, 1, [5, 6, 7, 8], [I, 7, 8, 9], [1, 2, 2, 2], [0, 0, 1, 2], [0, 1, 1, 1], [0, 1, 4, 4, 4]);
        foreach (Tensor t in batch.Values)
            t.Dispose();
    }

    [Fact]
    public void Aligned_StartsAtDocumentStarts_DropsCutTailsAndPadsTheLast()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        using var data = new PackedDocumentDataset(docs, blockSize: 4, PackingMode.Aligned, padToken: 0);
        Assert.Equal(3, data.Count);
        Dictionary<string, Tensor> batch = data.GetBatch([0, 1, 2]);
        AssertRow(batch, 0, [1, 2, 3, 4], [2, 3, I, 5], [0, 0, 0, 1], [0, 1, 2, 0], [1, 1, 0, 1], [0, 3, 4, 4, 4]);
        AssertRow(batch, 1, [6, 7, 8, 9], [7, 8, 9, 10], [2, 2, 2, 2], [0, 1, 2, 3], [1, 1, 1, 1], [0, 4, 4, 4, 4]);
        AssertRow(batch, 2, [11, 0, 0, 0], [I, I, I, I], [3, -1, -1, -1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 1, 4, 4, 4]);
        foreach (Tensor t in batch.Values)
            t.Dispose();
    }

    [Fact]
    public void Aligned_LongDocument_ContinuesFromTheLastTarget()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [20, 21]]);
        using var data = new PackedDocumentDataset(docs, blockSize: 4, PackingMode.Aligned);
        Assert.Equal(new[] { new DocumentSegment(0, 0, 5) }, data.SegmentsOf(0));
        Assert.Equal(new[] { new DocumentSegment(0, 4, 5) }, data.SegmentsOf(1));
        // Tokens 9..11 of the long document, then the next document.
        Assert.Equal(new[] { new DocumentSegment(0, 8, 3), new DocumentSegment(1, 0, 2) }, data.SegmentsOf(2));
    }

    [Fact]
    public void BestFit_NeverSplitsAPiece_FillsTheTightestSequence()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        using var data = new PackedDocumentDataset(docs, blockSize: 4, PackingMode.BestFit);
        // Longest first: C opens sequence 0, A opens 1, B fits exactly after A, D needs a new one.
        Assert.Equal(3, data.Count);
        Assert.Equal(new[] { new DocumentSegment(2, 0, 5) }, data.SegmentsOf(0));
        Assert.Equal(new[] { new DocumentSegment(0, 0, 3), new DocumentSegment(1, 0, 2) }, data.SegmentsOf(1));
        Assert.Equal(new[] { new DocumentSegment(3, 0, 1) }, data.SegmentsOf(2));
        PackingStatistics stats = data.Statistics;
        // Inputs: C 4, A+B 4, D 1 of 12 positions; targets within documents: C 4, A 2 + B 1, D 0.
        Assert.Equal(new PackingStatistics(3, 12, 9, 7, 11), stats);
    }

    [Fact]
    public void Loader_WorkersAndSlotRing_GiveTheSameBatchesAsGetBatch()
    {
        var random = new Random(5);
        long[][] documents = Enumerable.Range(0, 60).Select(_ => Enumerable.Range(0, random.Next(0, 30)).Select(_ => (long)random.Next(1, 50000)).ToArray()).ToArray();
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, documents);
        foreach (PackingMode mode in Enum.GetValues<PackingMode>())
        {
            using var data = new PackedDocumentDataset(docs, blockSize: 16, mode);
            using var loader = new NpyDataLoader(data, batchSize: 4, shuffle: true, seed: 3, num_workers: 2);
            long[] order = new RandomSampler(data.Count, 3).GetIndices();
            int b = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                long[] indices = order.Skip(b * 4).Take(4).ToArray();
                Dictionary<string, Tensor> expected = data.GetBatch(indices);
                foreach (string name in data.Names)
                    Assert.True(expected[name].shape.SequenceEqual(batch[name].shape) && expected[name].eq(batch[name]).all().item<bool>(), $"{mode}, batch {b}, {name}");
                foreach (Tensor t in expected.Values)
                    t.Dispose();
                b++;
            }
            Assert.Equal(loader.Count, b);
        }
    }

    [Fact]
    public void Causal_MaskStaysWithinDocuments()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        using var data = new PackedDocumentDataset(docs, blockSize: 4, PackingMode.Split);
        Dictionary<string, Tensor> batch = data.GetBatch([0]);
        using Tensor mask = DocumentMasks.Causal(batch["cu_seqlens"]);
        Assert.Equal(new long[] { 1, 1, 4, 4 }, mask.shape);
        bool[] m = mask.data<bool>().ToArray();
        // Sequence 0: positions 0-2 are A, 3 is B.
        bool[] expected =
        [
            true, false, false, false,
            true, true, false, false,
            true, true, true, false,
            false, false, false, true,
        ];
        Assert.Equal(expected, m);
        foreach (Tensor t in batch.Values)
            t.Dispose();
    }

    [Fact]
    public void GetBatch_OutOfRange_Throws()
    {
        using RaggedArray docs = DocumentFiles.WriteNpyPair(_dir, s_documents);
        using var data = new PackedDocumentDataset(docs, blockSize: 4, PackingMode.Split);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => data.GetBatch([2]));
        Assert.Contains("has 2 sequences", ex.Message);
    }
}
