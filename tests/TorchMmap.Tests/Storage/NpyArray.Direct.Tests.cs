using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>
/// The cold random-read path: rows scattered over data larger than the memory budget are read with O_DIRECT and AIO
/// instead of through the mapping. Each test lowers the budget of one array (<c>DirectReadMinBytes</c>) so a small file
/// qualifies, and checks the bytes against the mapping path of the same file.
/// </summary>
public sealed class NpyArrayDirectTests : IDisposable
{
    // float32 rows of 3 x 100 x 251 = 301,200 bytes: not a multiple of a page, so rows start and end mid-block, and each
    // row lies in a 1 MiB region of its own when every fourth row is read.
    private const int Rows = 40;
    private static readonly long[] s_rowShape = [3, 100, 251];

    // Every 20th of the 640 rows WriteWholeBlockRows writes (a few to a MiB: scattered), shuffled.
    private static readonly long[] s_everyTwentieth = [.. Enumerable.Range(0, 32).Select(i => (long)(i * 13 % 32 * 20))];

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-direct-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Gather_ScatteredRowsOverDataLargerThanBudget_ReadDirectlyWithTheMappingsBytes()
    {
        string path = Write();
        // Every fourth row, shuffled, with the last row (which ends inside the file's last block) and the first.
        long[] indices = [36, 0, 8, 39, 24, 4, 16, 32, 12, 28, 20];

        long directRows = GatherThroughTheMappingAndDirectly(path, indices);

        // Where the file system refuses O_DIRECT (tmpfs) the mapping serves the rows, with the same bytes.
        Assert.Equal(DirectReadsWork(path) ? indices.Length : 0, directRows);
    }

    [Fact]
    public void Gather_MoreRowsThanReadsInFlight_QueueRefilledAndEveryRowMatches()
    {
        string path = Write(rows: 192);
        // 48 rows 4 apart (each in a MiB of its own, so the batch counts as scattered), more than the reads one context keeps
        // in flight: later rows are submitted as earlier ones complete. A scattered order.
        long[] indices = [.. Enumerable.Range(0, 48).Select(i => (long)(i * 29 % 48 * 4))];

        long directRows = GatherThroughTheMappingAndDirectly(path, indices);

        Assert.Equal(DirectReadsWork(path) ? indices.Length : 0, directRows);
    }

    [Fact]
    public void Gather_SmallRowsBeyondEverySlot_SlotsReusedWhileReadsGoOutAndEveryRowMatches()
    {
        // Rows of 12,300 bytes (three pages and a part, so each read spans four): a context has 64 slots for them, twice
        // the reads it keeps in flight. 150 rows, every 20th of 3,000 (1/20 of the MiB regions they touch, so scattered),
        // shuffled: slots are reused more than twice, and new reads go out while completed ones wait to be copied.
        string path = Write(rows: 3_000, rowShape: [3_075]);
        long[] indices = [.. Enumerable.Range(0, 150).Select(i => (long)(i * 67 % 150 * 20))];

        long directRows = GatherThroughTheMappingAndDirectly(path, indices);

        Assert.Equal(DirectReadsWork(path) ? indices.Length : 0, directRows);
    }

    [Fact]
    public void GatherInto_ManyBatchesFromSeveralThreads_EveryRowMatches()
    {
        string path = Write();
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);
        long[][] batches = Enumerable.Range(0, 16).Select(b => new long[] { b % 4, 4 + (b % 4), 12 + (b % 4), 20 + (b % 4), 28 + (b % 4), 36 + (b % 4) }).ToArray();

        AssertSameRowsOnFourThreads(mapped, direct, batches);

        Assert.Equal(DirectReadsWork(path) ? batches.Sum(b => b.Length) : 0, direct.DirectRowsRead);
    }

    [Fact]
    public void Gather_FewRowsInEachOfManyMiB_ReadDirectly()
    {
        // Rows of 4,000 bytes, 128 bytes into the file: row 262r + 5 and row 262r + 100 both start in MiB r (r < 16), so no
        // row has a MiB of its own, yet the 32 rows fill 128,000 bytes of the 16 MiB they fall in: a large random batch.
        string path = Write(rows: 4096, rowShape: [1000]);
        long[] indices = [.. Enumerable.Range(0, 16).SelectMany(r => new long[] { 262 * r + 5, 262 * r + 100 }).OrderBy(i => i * 7919 % 4099)];

        long directRows = GatherThroughTheMappingAndDirectly(path, indices);

        Assert.Equal(DirectReadsWork(path) ? indices.Length : 0, directRows);
    }

    [Fact]
    public void Gather_FewRowsInEachOfFewerMiBThanTheBudget_UseTheMapping()
    {
        // A block-shuffled batch: four rows in each of 4 MiB, filling a 64th of them, where 8 MiB fit in memory: later
        // batches read the same MiB, which stay cached. The same array reads 2 rows in each of 16 MiB directly.
        string path = Write(rows: 4096, rowShape: [1000]);
        using var array = NpyArray.Open(path);
        array.DirectReadMinBytes = 8L << 20;
        long[] block = [.. new[] { 1, 5, 9, 13 }.SelectMany(r => new long[] { 262 * r + 5, 262 * r + 50, 262 * r + 100, 262 * r + 200 })];
        long[] random = [.. Enumerable.Range(0, 16).SelectMany(r => new long[] { 262 * r + 5, 262 * r + 100 })];

        using (Tensor rows = array.Gather(block))
            Assert.Equal(0, array.DirectRowsRead);
        using (Tensor rows = array.Gather(random))
            Assert.Equal(DirectReadsWork(path) ? random.Length : 0, array.DirectRowsRead);
    }

    [Fact]
    public void Gather_EveryEighthRow_UsesTheMapping()
    {
        // A replica's share of a sequential order among 8: 256 rows of 4,000 bytes fill an eighth of the 8 MiB they span,
        // which read-ahead serves in a few reads.
        string path = Write(rows: 4096, rowShape: [1000]);
        long[] indices = [.. Enumerable.Range(0, 256).Select(i => 8L * i)];

        long directRows = GatherThroughTheMappingAndDirectly(path, indices);

        Assert.Equal(0, directRows);
    }

    [Fact]
    public void Gather_ConsecutiveRows_UseTheMapping()
    {
        string path = Write();
        using var array = NpyArray.Open(path);
        array.DirectReadMinBytes = 0;

        using Tensor rows = array.Gather([10, 11, 12, 13, 14, 15, 16, 17]);

        Assert.Equal(0, array.DirectRowsRead);
        Assert.Equal(10 * RowElements, rows[0, 0, 0, 0].item<float>());
    }

    [Fact]
    public void Gather_DataWithinTheMemoryBudget_UsesTheMapping()
    {
        string path = Write();
        using var array = NpyArray.Open(path);
        Assert.Equal(MemoryBudget.Bytes, array.DirectReadMinBytes);
        Assert.True(MemoryBudget.Bytes > new FileInfo(path).Length);

        using Tensor rows = array.Gather([36, 0, 8, 39]);

        Assert.Equal(0, array.DirectRowsRead);
    }

    [Fact]
    public void Gather_WritableMapping_ReadsItsOwnChangesThroughTheMapping()
    {
        string path = Write();
        using var array = NpyArray.Open(path, NpyMode.ReadWrite);
        array.DirectReadMinBytes = 0;
        using (Tensor changed = torch.full([1, .. s_rowShape], -1f))
            array.WriteRows(8, changed);

        using Tensor rows = array.Gather([36, 0, 8, 39]);

        Assert.Equal(0, array.DirectRowsRead);
        Assert.Equal(-1f, rows[2, 2, 99, 250].item<float>());
    }

    [Fact]
    public void Gather_FileTruncatedAfterOpen_ThrowsInvalidDataNamingTheFile()
    {
        string path = Write();
        using var array = NpyArray.Open(path);
        array.DirectReadMinBytes = 0;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            stream.SetLength(new FileInfo(path).Length - 1000);

        var ex = Assert.Throws<InvalidDataException>(() => array.Gather([36, 0, 8, 39]));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gather_DirectPathAfterDispose_ThrowsObjectDisposed()
    {
        string path = Write();
        var array = NpyArray.Open(path);
        array.DirectReadMinBytes = 0;
        using (Tensor rows = array.Gather([36, 0, 8, 39]))
            Assert.Equal(39 * RowElements, rows[3, 0, 0, 0].item<float>());
        array.Dispose();
        array.Dispose();

        Assert.Throws<ObjectDisposedException>(() => array.Gather([36, 0, 8, 39]));
    }

    [Fact]
    public void Gather_NpySaveRowsReadAgain_EveryRowReadABlockShorterWithTheSameBytes()
    {
        // The first read keeps each row's last 128 bytes, so the second reads three blocks a row.
        string path = WriteWholeBlockRows();
        long[] indices = s_everyTwentieth;
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);

        AssertSameRows(mapped, direct, indices);
        Assert.Equal(0, direct.DirectShortRowsRead);
        AssertSameRows(mapped, direct, [.. Enumerable.Reverse(indices)]);

        Assert.Equal(DirectReadsWork(path) ? indices.Length : 0, direct.DirectShortRowsRead);
        Assert.Equal(DirectReadsWork(path) ? 2 * indices.Length : 0, direct.DirectRowsRead);
    }

    [Fact]
    public void Gather_NumPySavedRowsReadTwice_MatchNumPysFancyIndexingBothTimes()
    {
        // np.save's own file (random float32 rows of 12,288 bytes, data at 128) and NumPy's x[idx] of the same rows, dumped
        // raw: the second read, three blocks a row with the kept edges, must give NumPy's bytes as the first did.
        string path = Path.Combine(_dir, "numpy.npy"), expectedPath = Path.Combine(_dir, "expected.raw");
        string indices = string.Join(",", s_everyTwentieth);
        NumPyScript.Run("""
            import sys
            import numpy as np
            x = np.random.default_rng(20261129).standard_normal((640, 3, 32, 32)).astype('<f4')
            np.save(sys.argv[1], x)
            x[[int(i) for i in sys.argv[3].split(',')]].tofile(sys.argv[2])
            """, path, expectedPath, indices);
        byte[] expected = File.ReadAllBytes(expectedPath);
        using var direct = OpenDirect(path);

        for (int read = 0; read < 2; read++)
        {
            using Tensor rows = direct.Gather(s_everyTwentieth);
            Assert.Equal(expected, rows.bytes.ToArray());
        }

        Assert.Equal(128, direct.DataStart);
        Assert.Equal(DirectReadsWork(path) ? s_everyTwentieth.Length : 0, direct.DirectShortRowsRead);
    }

    [Fact]
    public void Dispose_ArrayWithKeptEdges_GivesTheirMemoryBack()
    {
        // 640 rows with 128-byte edges take 640 x 136 bytes of the budget from the first direct read until the array goes.
        string path = WriteWholeBlockRows();
        var budget = new RowEdgeBudget(1L << 20);
        var direct = OpenDirect(path);
        direct.EdgeBudget = budget;

        using (Tensor rows = direct.Gather(s_everyTwentieth))
            Assert.Equal((1L << 20) - (DirectReadsWork(path) ? 640 * 136 : 0), budget.Free);
        direct.Dispose();
        direct.Dispose();

        Assert.Equal(1L << 20, budget.Free);
    }

    [Fact]
    public void GatherInto_RandomBatchesFromFourThreads_RowsExactWhileEdgesAreKeptAndUsed()
    {
        // 400 batches of 32 rows drawn at random from every 5th row (scattered: at most 17 of a batch's rows share a MiB),
        // read by four threads at once: rows' edges are offered by one thread while others read them, and every row must
        // still be the mapping's. Rows r and r + 5 never share a block, so each edge comes from the row's own read.
        string path = WriteWholeBlockRows();
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);
        long[][] batches = [.. Enumerable.Range(0, 400).Select(b =>
        {
            var random = new Random(b);
            return Enumerable.Range(0, 32).Select(_ => 5L * random.Next(128)).Distinct().ToArray();
        })];

        AssertSameRowsOnFourThreads(mapped, direct, batches);

        // Each of the 128 rows is read whole the first time, and again only by a read racing that one (submitted before it
        // kept the edge): a few at most, however the threads are scheduled, against the ~11,000 rows read.
        long rows = batches.Sum(b => b.Length);
        Assert.Equal(DirectReadsWork(path) ? rows : 0, direct.DirectRowsRead);
        if (DirectReadsWork(path))
            Assert.InRange(direct.DirectShortRowsRead, rows / 2, rows - 128);
    }

    [Fact]
    public void Gather_RowsBeforeOnesAlreadyRead_ReadABlockShorter()
    {
        // Row r's last 128 bytes lie in the first block of row r + 1: reading rows 20k + 1 keeps the edges of rows 20k.
        string path = WriteWholeBlockRows();
        long[] before = s_everyTwentieth;
        long[] after = [.. before.Select(r => r + 1)];
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);

        AssertSameRows(mapped, direct, after);
        AssertSameRows(mapped, direct, before);

        Assert.Equal(DirectReadsWork(path) ? before.Length : 0, direct.DirectShortRowsRead);
    }

    [Fact]
    public void Gather_RowsOfVaryingOffsetsReadAgain_RowsWithAnEdgeReadShorterWithTheSameBytes()
    {
        // Rows of 301,200 bytes start 128 + 2,192 r bytes into a block (mod 4,096): some span one block more than their
        // size needs, with the edge at the head or the tail. Every fourth row, twice.
        string path = Write();
        long[] indices = [36, 0, 8, 24, 4, 16, 32, 12, 28, 20];
        long rowBytes = RowElements * sizeof(float);
        int withEdges = indices.Count(r => RowEdgeCache.EdgeOf(128, rowBytes, r).Length > 0);
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);

        AssertSameRows(mapped, direct, indices);
        AssertSameRows(mapped, direct, indices);

        Assert.InRange(withEdges, 1, indices.Length - 1);
        Assert.Equal(DirectReadsWork(path) ? withEdges : 0, direct.DirectShortRowsRead);
    }

    [Fact]
    public void Gather_FileRewrittenBetweenReads_ReadsTheNewBytes()
    {
        string path = WriteWholeBlockRows();
        long[] indices = s_everyTwentieth;
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);
        AssertSameRows(mapped, direct, indices);
        // Each read row's last 128 bytes, the edges just kept, become 0x41 bytes (12.078431f), in place; after a pause, so
        // the file's status-change time moves on the kernel's clock tick.
        Thread.Sleep(50);
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            foreach (long r in indices)
            {
                writer.Position = 128 + (r + 1) * 12_288 - 128;
                writer.Write(Enumerable.Repeat((byte)0x41, 128).ToArray());
            }
        }

        using (Tensor rows = direct.Gather(indices))
            Assert.Equal(12.078431f, rows[0, 3_071].item<float>(), 5);
        AssertSameRows(mapped, direct, indices);

        // The second read after the change read whole rows (no edge kept in the new generation), the third short ones.
        Assert.Equal(DirectReadsWork(path) ? indices.Length : 0, direct.DirectShortRowsRead);
    }

    [Fact]
    public void Gather_EdgeBudgetForSomeRows_OnlyThoseReadShorter()
    {
        // An edge of 128 bytes is kept with an 8-byte stamp: a budget of 320 x 136 bytes keeps rows 0-319, 16 of the 32 read.
        string path = WriteWholeBlockRows();
        long[] indices = s_everyTwentieth;
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);
        direct.EdgeBudget = new RowEdgeBudget(320 * 136);

        AssertSameRows(mapped, direct, indices);
        AssertSameRows(mapped, direct, indices);

        Assert.Equal(DirectReadsWork(path) ? 16 : 0, direct.DirectShortRowsRead);
    }

    private static NpyArray OpenMapped(string path)
    {
        var array = NpyArray.Open(path);
        array.DirectReadMinBytes = long.MaxValue;
        return array;
    }

    private static NpyArray OpenDirect(string path)
    {
        var array = NpyArray.Open(path);
        array.DirectReadMinBytes = 0;
        return array;
    }

    // Gathers the batches on four threads at once, each into a tensor of its own, and asserts the mapping's bytes.
    private static void AssertSameRowsOnFourThreads(NpyArray mapped, NpyArray direct, long[][] batches) =>
        Parallel.For(0, batches.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, b =>
        {
            using Tensor expected = mapped.Gather(batches[b]);
            using Tensor actual = torch.empty(expected.shape, ScalarType.Float32);
            direct.GatherInto(batches[b], actual);
            Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        });

    private static void AssertSameRows(NpyArray mapped, NpyArray direct, long[] indices)
    {
        using Tensor expected = mapped.Gather(indices);
        using Tensor actual = direct.Gather(indices);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }

    // Gathers the rows once through the mapping alone and once with the direct path allowed, asserts the same bytes, and
    // returns how many rows the direct path read.
    private static long GatherThroughTheMappingAndDirectly(string path, long[] indices)
    {
        using var mapped = OpenMapped(path);
        using var direct = OpenDirect(path);

        AssertSameRows(mapped, direct, indices);

        Assert.Equal(0, mapped.DirectRowsRead);
        return direct.DirectRowsRead;
    }

    // Rows of 3,072 float32 (12,288 bytes, three blocks) after np.save's 128-byte header: each spans four blocks, the last
    // holding its final 128 bytes.
    private string WriteWholeBlockRows() => Write(rows: 640, rowShape: [3_072]);

    private static long RowElements => s_rowShape.Aggregate(1L, (a, b) => a * b);

    // Element i of the file holds i, so every byte of every row is checked by the comparison.
    private string Write(long rows = Rows, long[]? rowShape = null)
    {
        rowShape ??= s_rowShape;
        string path = Path.Combine(_dir, "rows.npy");
        using (Tensor data = torch.arange(rows * rowShape.Aggregate(1L, (a, b) => a * b), dtype: ScalarType.Float32).reshape([rows, .. rowShape]))
            Npy.Save(path, data);
        return path;
    }

    // Whether this file's file system takes O_DIRECT reads with AIO, asked the same way the library asks.
    private static bool DirectReadsWork(string path)
    {
        using var mapped = MappedFile.Map(path, new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), NpyMode.ReadOnly, 0);
        return mapped.Direct is not null;
    }
}
