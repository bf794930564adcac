using CsCheck;
using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public class BlockShuffleSamplerTests
{
    [Theory]
    [InlineData(0, 4, 2)]
    [InlineData(1, 4, 2)]
    [InlineData(10, 3, 2)]      // last block short
    [InlineData(100, 7, 3)]     // last window short
    [InlineData(1000, 16, 8)]
    [InlineData(64, 100, 4)]    // one block holds everything
    [InlineData(50, 1, 1)]      // one row per block, one block per window: a plain block permutation
    public void GetIndices_EachEpoch_IsPermutationOfAllRows(long length, long blockRows, int windowBlocks)
    {
        var sampler = new BlockShuffleSampler(length, blockRows, windowBlocks, seed: 3);
        for (long epoch = 0; epoch < 4; epoch++)
        {
            sampler.SetEpoch(epoch);
            long[] indices = sampler.GetIndices();

            Assert.Equal(length, sampler.Count);
            Assert.Equal(Enumerable.Range(0, (int)length).Select(i => (long)i), indices.Order());
        }
    }

    [Fact]
    public void GetIndices_RandomShapes_IsPermutationMadeOfWholeWindows() =>
        // Window sizes small and large: the sampler looks a window's blocks up once for windows up to 512 blocks, per row beyond.
        Gen.Select(Gen.Long[1, 3000], Gen.Long[1, 200], Gen.OneOf(Gen.Int[1, 9], Gen.Int[500, 700]), Gen.Long).Sample((length, blockRows, windowBlocks, seed) =>
        {
            var sampler = new BlockShuffleSampler(length, blockRows, windowBlocks, seed, num_replicas: 1, rank: 0);
            long[] order = sampler.GetIndices();
            Assert.Equal(Enumerable.Range(0, (int)length).Select(i => (long)i), order.Order());
            // From each window start, the rows of the next windowBlocks distinct blocks (fewer only at the end) are exactly
            // those blocks' rows: a window holds whole blocks and no row of another.
            long start = 0;
            while (start < length)
            {
                var blocks = new HashSet<long>();
                long blockRowsTotal = 0, end = start;
                do
                {
                    long block = order[end++] / blockRows;
                    if (blocks.Add(block))
                        blockRowsTotal += Math.Min(blockRows, length - (block * blockRows));
                }
                while (end - start < blockRowsTotal || (blocks.Count < windowBlocks && end < length));
                Assert.Equal(blockRowsTotal, end - start);
                Assert.True(blocks.Count == windowBlocks || end == length, $"a window of {blocks.Count} blocks at {start}");
                start = end;
            }
        }, iter: 200);

    [Fact]
    public void GetIndices_ConsecutiveEpochs_AllDiffer()
    {
        var sampler = new BlockShuffleSampler(1000, blockRows: 10, windowBlocks: 4, seed: 9);
        var orders = new List<long[]>();
        for (long epoch = 0; epoch < 5; epoch++)
        {
            sampler.SetEpoch(epoch);
            orders.Add(sampler.GetIndices());
        }

        for (int a = 0; a < orders.Count; a++)
        {
            for (int b = a + 1; b < orders.Count; b++)
                Assert.NotEqual(orders[a], orders[b]);
        }
    }

    [Fact]
    public void GetIndices_SameSeedAndEpoch_IdenticalAndEqualToEnumeration()
    {
        var a = new BlockShuffleSampler(777, blockRows: 13, windowBlocks: 5, seed: 42);
        var b = new BlockShuffleSampler(777, blockRows: 13, windowBlocks: 5, seed: 42);
        a.SetEpoch(2);
        b.SetEpoch(2);

        Assert.Equal(a.GetIndices(), b.GetIndices());
        Assert.Equal(a.GetIndices(), a.ToArray());
        Assert.Equal(a.GetIndices(), a.GetIndices());
    }

    [Fact]
    public void GetIndices_DifferentSeeds_Differ()
    {
        Assert.NotEqual(
            new BlockShuffleSampler(500, blockRows: 10, seed: 1).GetIndices(),
            new BlockShuffleSampler(500, blockRows: 10, seed: 2).GetIndices());
    }

    [Fact]
    public void GetIndices_SeedPlusEpoch_SelectsTheOrder()
    {
        // As in PyTorch's samplers, epoch e shuffles with seed + e.
        var a = new BlockShuffleSampler(300, blockRows: 8, seed: 0);
        var b = new BlockShuffleSampler(300, blockRows: 8, seed: 1);
        a.SetEpoch(1);

        Assert.Equal(b.GetIndices(), a.GetIndices());
    }

    [Theory]
    [InlineData(1000, 10, 4)]
    [InlineData(1003, 10, 4)]
    [InlineData(999, 7, 3)]
    public void GetIndices_EachWindow_ReadsOnlyItsOwnBlocks(long length, long blockRows, int windowBlocks)
    {
        var sampler = new BlockShuffleSampler(length, blockRows, windowBlocks, seed: 11);
        sampler.SetEpoch(1);
        long[] indices = sampler.GetIndices();

        // Cut the order where the set of blocks seen so far reaches windowBlocks and the next row opens a new block:
        // every block is then consumed within one such window, and each window mixes rows of windowBlocks blocks.
        var blocksOfWindow = new HashSet<long>();
        var finished = new HashSet<long>();
        var remaining = new Dictionary<long, long>();
        for (long block = 0; block * blockRows < length; block++)
            remaining[block] = Math.Min(blockRows, length - block * blockRows);
        int windows = 0;
        foreach (long row in indices)
        {
            long block = row / blockRows;
            Assert.DoesNotContain(block, finished);
            if (blocksOfWindow.Add(block) && blocksOfWindow.Count > windowBlocks)
                Assert.Fail($"Row {row} opens block {block} while the window's {windowBlocks} blocks are not yet consumed.");
            if (--remaining[block] == 0)
                finished.Add(block);
            if (blocksOfWindow.All(finished.Contains))
            {
                windows++;
                blocksOfWindow.Clear();
            }
        }

        Assert.Equal(remaining.Count, finished.Count);
        Assert.True(windows >= (remaining.Count + windowBlocks - 1) / windowBlocks, $"{windows} windows for {remaining.Count} blocks.");
    }

    [Fact]
    public void GetIndices_FirstWindow_MixesRowsOfSeveralBlocks()
    {
        var sampler = new BlockShuffleSampler(10_000, blockRows: 100, windowBlocks: 8, seed: 5);
        long[] firstBatch = sampler.GetIndices()[..64];

        // 64 rows drawn from 800 shuffled rows of 8 blocks: a batch is not one block's run of rows.
        Assert.True(firstBatch.Select(r => r / 100).Distinct().Count() >= 4);
        Assert.NotEqual(firstBatch.Order(), firstBatch);
    }

    [Theory]
    [InlineData(100, 4, false)]
    [InlineData(103, 4, false)]     // padded to 104 from the start of the global order
    [InlineData(103, 4, true)]      // cut to 100
    [InlineData(7, 3, false)]
    [InlineData(2, 3, false)]       // more replicas than rows
    public void GetIndices_AcrossReplicas_CoverEveryRowAsDistributedSamplerDoes(long length, int replicas, bool dropLast)
    {
        for (long epoch = 0; epoch < 3; epoch++)
        {
            var shares = new List<long[]>();
            for (int rank = 0; rank < replicas; rank++)
            {
                var sampler = new BlockShuffleSampler(length, blockRows: 5, windowBlocks: 2, seed: 7, num_replicas: replicas, rank: rank, drop_last: dropLast);
                sampler.SetEpoch(epoch);
                long[] share = sampler.GetIndices();
                Assert.Equal(sampler.Count, share.Length);
                Assert.Equal(new DistributedSampler(length, replicas, rank, drop_last: dropLast).Count, sampler.Count);
                shares.Add(share);
            }

            // The single-replica order padded from its start or cut, and dealt out as DistributedSampler deals: rank r
            // takes positions r, r + replicas, r + 2 * replicas, ...
            var single = new BlockShuffleSampler(length, blockRows: 5, windowBlocks: 2, seed: 7, num_replicas: 1, rank: 0);
            single.SetEpoch(epoch);
            long[] global = single.GetIndices();
            long total = shares.Sum(s => (long)s.Length);
            for (int rank = 0; rank < replicas; rank++)
            {
                long[] expected = Enumerable.Range(0, (int)total).Where(p => p % replicas == rank).Select(p => global[p % length]).ToArray();
                Assert.Equal(expected, shares[rank]);
            }
            if (dropLast || length % replicas == 0)
                Assert.Equal(total, shares.SelectMany(s => s).Distinct().Count());
            else
                Assert.Equal(length, shares.SelectMany(s => s).Distinct().Count());
        }
    }

    [Fact]
    public void GetIndices_ReplicaAcrossEpochs_GetsDifferentRows()
    {
        var sampler = new BlockShuffleSampler(1000, blockRows: 10, windowBlocks: 2, seed: 1, num_replicas: 4, rank: 1);
        long[] first = sampler.GetIndices();
        sampler.SetEpoch(1);

        Assert.NotEqual(first.Order(), sampler.GetIndices().Order());
    }

    [Fact]
    public void ForRowBytes_BlockOfBytes_HoldsWholeRows()
    {
        Assert.Equal(8L * 1024 * 1024 / 3072, BlockShuffleSampler.ForRowBytes(50_000, rowBytes: 3072).BlockRows);
        Assert.Equal(1, BlockShuffleSampler.ForRowBytes(10, rowBytes: 1 << 20, blockBytes: 4096).BlockRows);
        Assert.Equal(64, BlockShuffleSampler.ForRowBytes(10, rowBytes: 64, blockBytes: 4096).BlockRows);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockShuffleSampler(-1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockShuffleSampler(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockShuffleSampler(10, 4, windowBlocks: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockShuffleSampler(10, 4, num_replicas: 2, rank: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockShuffleSampler.ForRowBytes(10, rowBytes: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockShuffleSampler.ForRowBytes(10, rowBytes: 4, blockBytes: 0));
    }

    [Fact]
    public void NpyDataLoader_WithBlockShuffleSampler_YieldsTheSamplersRowsInOrder()
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(97);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        var sampler = new BlockShuffleSampler(97, blockRows: 8, windowBlocks: 3, seed: 4, num_replicas: 1, rank: 0);
        using var loader = new NpyDataLoader(dataset, batchSize: 10, sampler: sampler, num_workers: 2, pageHints: true);
        for (long epoch = 0; epoch < 2; epoch++)
        {
            var expected = new BlockShuffleSampler(97, blockRows: 8, windowBlocks: 3, seed: 4, num_replicas: 1, rank: 0);
            expected.SetEpoch(epoch);
            long[] order = expected.GetIndices();
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                DataFiles.AssertRows(batch, order.Skip(k * 10).Take(10).ToArray());
                k++;
            }

            Assert.Equal(10, k);
        }
    }
}
