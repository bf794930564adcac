using Microsoft.Win32.SafeHandles;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Storage;

/// <summary>
/// Where a row's edge lies (the part of it in a block its direct read could skip), when keeping edges pays, and how kept
/// edges are found, refused and dropped when the file changes. Offsets are worked out from 4,096-byte blocks.
/// </summary>
public sealed class RowEdgeCacheTests : IDisposable
{
    private const long Block = 4096;
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-edges-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EdgeOf_NpySaveRowOfWholeBlocks_IsTheRowsLast128Bytes()
    {
        // np.save's data starts at 128; row 5 of 12,288 bytes is [128 + 61,440, 128 + 73,728): blocks 15 to 18, four
        // where three would hold it. Block 18 (at 73,728) holds its last 128 bytes, block 15 its first 3,968.
        RowEdgeCache.Edge edge = RowEdgeCache.EdgeOf(128, 12_288, 5);

        Assert.Equal(new RowEdgeCache.Edge(18 * Block, 128, AtHead: false), edge);
    }

    [Fact]
    public void EdgeOf_HeadShorterThanTail_IsTheRowsFirstBytes()
    {
        // A row of 8,192 bytes at 4,000: 96 bytes in block 0, 4,096 in block 1, 4,000 in block 2; three blocks where two
        // would do, and the first part is the shorter.
        RowEdgeCache.Edge edge = RowEdgeCache.EdgeOf(4_000, 8_192, 0);

        Assert.Equal(new RowEdgeCache.Edge(4_000, 96, AtHead: true), edge);
    }

    [Theory]
    [InlineData(4_096, 12_288, 7)]     // starts on a block: as few blocks as its size needs
    [InlineData(128, 1_000, 2)]        // [2,128, 3,128) lies within block 0
    [InlineData(128, 12_000, 0)]       // [128, 12,128): three blocks, as 12,000 bytes need
    public void EdgeOf_RowInAsFewBlocksAsItsSizeNeeds_HasNone(long dataStart, long rowBytes, long row)
    {
        Assert.Equal(0, RowEdgeCache.EdgeOf(dataStart, rowBytes, row).Length);
    }

    [Fact]
    public void TryCreate_NpySaveRowsOfWholeBlocks_KeepsEveryRowsTailWithinTheBudget()
    {
        // Each row's edge is 128 bytes (above), kept with an 8-byte stamp: 136 bytes a row. A budget of 100 rows and a half
        // keeps 100 of the 1,000.
        RowEdgeCache? cache = RowEdgeCache.TryCreate(128, 12_288, 1_000, new RowEdgeBudget(100 * 136 + 68));

        Assert.NotNull(cache);
        Assert.Equal(128, cache.Capacity);
        Assert.Equal(100, cache.Rows);
    }

    [Fact]
    public void TryCreate_RowsOfVaryingOffsets_CapacityIsTheLongestEdge()
    {
        // Rows of 10,240 bytes (2.5 blocks) from 2,000 alternate: row 0, [2,000, 12,240), spans three blocks, as its size
        // needs; row 1, [12,240, 22,480), spans blocks 2 to 5, four, with 48 bytes in block 2 and 2,000 in block 5.
        RowEdgeCache? cache = RowEdgeCache.TryCreate(2_000, 10_240, 10, new RowEdgeBudget(long.MaxValue));

        Assert.NotNull(cache);
        Assert.Equal(48, cache.Capacity);
        Assert.Equal(10, cache.Rows);
        Assert.Equal(0, cache.EdgeOf(0).Length);
        Assert.Equal(new RowEdgeCache.Edge(12_240, 48, AtHead: true), cache.EdgeOf(1));
    }

    [Theory]
    [InlineData(4_096, 12_288)]   // every row starts on a block: no edges
    [InlineData(128, 784)]        // MNIST rows: an edge can be half the row
    public void TryCreate_EdgesAbsentOrOverASixteenthOfTheRow_ReturnsNull(long dataStart, long rowBytes)
    {
        Assert.Null(RowEdgeCache.TryCreate(dataStart, rowBytes, 10_000, new RowEdgeBudget(long.MaxValue)));
    }

    [Fact]
    public void TryCreate_BudgetBelowOneRow_ReturnsNull()
    {
        Assert.Null(RowEdgeCache.TryCreate(128, 12_288, 1_000, new RowEdgeBudget(135)));
    }

    [Fact]
    public void TryCreate_TwoCachesFromOneBudget_SecondGetsWhatIsLeftUntilTheFirstIsReleased()
    {
        // 136 bytes a row (above): a budget of 150 rows holds the first array's 100 and 50 of the second's.
        var budget = new RowEdgeBudget(150 * 136);

        RowEdgeCache first = RowEdgeCache.TryCreate(128, 12_288, 100, budget)!;
        RowEdgeCache second = RowEdgeCache.TryCreate(128, 12_288, 100, budget)!;
        Assert.Null(RowEdgeCache.TryCreate(128, 12_288, 100, budget));
        first.Release();
        first.Release();

        Assert.Equal(100, first.Rows);
        Assert.Equal(50, second.Rows);
        Assert.Equal(100 * 136, budget.Free);
    }

    [Fact]
    public void TryCopy_OfferedEdge_CopiesItsBytesOnceAndKeepsTheFirst()
    {
        using SafeFileHandle file = File.OpenHandle(WriteFile());
        RowEdgeCache cache = RowEdgeCache.TryCreate(128, 12_288, 10, new RowEdgeBudget(long.MaxValue))!;
        RowEdgeCache.Edge edge = cache.EdgeOf(3);
        long generation = cache.Begin(file);
        byte[] copy = new byte[128];

        Assert.False(cache.TryCopy(3, edge, generation, copy));
        cache.Offer(3, edge, generation, Enumerable.Repeat((byte)7, 128).ToArray());
        cache.Offer(3, edge, generation, Enumerable.Repeat((byte)9, 128).ToArray());

        Assert.True(cache.TryCopy(3, edge, generation, copy));
        Assert.All(copy, b => Assert.Equal(7, b));
        Assert.False(cache.TryCopy(4, cache.EdgeOf(4), generation, copy));
        Assert.Equal(generation, cache.Begin(file));
    }

    [Fact]
    public void Begin_FileWrittenSinceTheLastBatch_DropsEveryKeptEdge()
    {
        string path = WriteFile();
        using SafeFileHandle file = File.OpenHandle(path);
        RowEdgeCache cache = RowEdgeCache.TryCreate(128, 12_288, 10, new RowEdgeBudget(long.MaxValue))!;
        RowEdgeCache.Edge edge = cache.EdgeOf(3);
        long before = cache.Begin(file);
        cache.Offer(3, edge, before, new byte[128]);
        // The status-change time moves on the kernel's clock tick (a few milliseconds at most): a write after a pause moves it.
        Thread.Sleep(50);
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            writer.Position = 18 * Block;
            writer.WriteByte(1);
        }

        long after = cache.Begin(file);

        Assert.NotEqual(before, after);
        Assert.False(cache.TryCopy(3, edge, after, new byte[128]));
    }

    [Fact]
    public void Begin_StatusUnreadable_ReturnsZeroAndNothingIsKept()
    {
        RowEdgeCache cache = RowEdgeCache.TryCreate(128, 12_288, 10, new RowEdgeBudget(long.MaxValue))!;
        RowEdgeCache.Edge edge = cache.EdgeOf(3);
        using var invalid = new SafeFileHandle(-1, ownsHandle: false);

        long generation = cache.Begin(invalid);
        cache.Offer(3, edge, generation, new byte[128]);

        Assert.Equal(0, generation);
        Assert.False(cache.TryCopy(3, edge, generation, new byte[128]));
    }

    private string WriteFile()
    {
        string path = Path.Combine(_dir, "data.bin");
        File.WriteAllBytes(path, new byte[128 + 10 * 12_288]);
        return path;
    }
}
