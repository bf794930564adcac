using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class NpyDataLoaderTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static long[] Range(long n) => Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(1, 3)]
    [InlineData(2, 2)]
    public void Enumerate_Sequential_BatchesAreConsecutiveRowsOfEveryArray(int workers, int prefetch)
    {
        Dictionary<string, string> paths = _files.WriteMixed(250);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        using var loader = new NpyDataLoader(dataset, batchSize: 32, num_workers: workers, prefetch_factor: prefetch);
        LoaderAssert.Epoch(loader, reference, Range(250), 32, dropLast: false);
        LoaderAssert.Epoch(loader, reference, Range(250), 32, dropLast: false);
        Assert.Equal(2, loader.Epoch);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Enumerate_Shuffled_EachEpochIsTheSeedPlusEpochPermutation(int workers)
    {
        Dictionary<string, string> paths = _files.WriteMixed(200);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        using var loader = new NpyDataLoader(dataset, batchSize: 24, shuffle: true, seed: 11, num_workers: workers);
        for (long epoch = 0; epoch < 3; epoch++)
            LoaderAssert.Epoch(loader, reference, LoaderAssert.RandPerm(200, 11 + epoch), 24, dropLast: false);
    }

    [Fact]
    public void Enumerate_Shuffled_DiffersBetweenEpochsAndRepeatsForTheSameSeed()
    {
        (string x, string y) = _files.Write(150);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var first = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 7);
        using var second = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 7);
        using var other = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 8);

        long[] epoch1 = LoaderAssert.Labels(first).SelectMany(b => b).ToArray();
        long[] epoch2 = LoaderAssert.Labels(first).SelectMany(b => b).ToArray();

        Assert.Equal(Range(150), epoch1.Order());
        Assert.Equal(Range(150), epoch2.Order());
        Assert.NotEqual(epoch1, epoch2);
        Assert.NotEqual(Range(150), epoch1);
        Assert.Equal(epoch1, LoaderAssert.Labels(second).SelectMany(b => b));
        Assert.Equal(epoch2, LoaderAssert.Labels(second).SelectMany(b => b));
        Assert.NotEqual(epoch1, LoaderAssert.Labels(other).SelectMany(b => b));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Enumerate_DropLast_OmitsOnlyTheShortBatch(bool shuffle)
    {
        Dictionary<string, string> paths = _files.WriteMixed(250);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        using var loader = new NpyDataLoader(dataset, batchSize: 32, shuffle: shuffle, seed: 3, drop_last: true);
        Assert.Equal(7, loader.Count);
        LoaderAssert.Epoch(loader, reference, shuffle ? LoaderAssert.RandPerm(250, 3) : Range(250), 32, dropLast: true);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 2)]
    [InlineData(true, 0)]
    [InlineData(true, 2)]
    public void Enumerate_BatchSizeLargerThanDataset_OneShortBatchOrNoneWithDropLast(bool dropLast, int workers)
    {
        Dictionary<string, string> paths = _files.WriteMixed(20);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        using var loader = new NpyDataLoader(dataset, batchSize: 64, shuffle: true, seed: 5, drop_last: dropLast, num_workers: workers);
        Assert.Equal(dropLast ? 0 : 1, loader.Count);
        LoaderAssert.Epoch(loader, reference, LoaderAssert.RandPerm(20, 5), 64, dropLast);
        Assert.Equal(1, loader.Epoch);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    public void Enumerate_EmptyDataset_NoBatchesAndTheEpochAdvances(bool shuffle, int workers)
    {
        Dictionary<string, string> paths = _files.WriteMixed(0);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        Assert.Equal(0, dataset.Count);
        using var loader = new NpyDataLoader(dataset, batchSize: 8, shuffle: shuffle, num_workers: workers);
        Assert.Equal(0, loader.Count);
        Assert.Empty(LoaderAssert.Labels(loader));
        Assert.Empty(LoaderAssert.Labels(loader));
        Assert.Equal(2, loader.Epoch);
        Dictionary<string, Tensor> none = dataset.GetBatch([]);
        Assert.Equal(new long[] { 0, 3, 2, 2 }, none["image"].shape);
        foreach (Tensor t in none.Values)
            t.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Enumerate_ShardsSplittingBatches_ReadsThemAsOneArray(bool shuffle)
    {
        // Batches of 4 over shards of 7, 0, 10, 1 and 5 rows (and empty ones at both ends): several batches straddle a
        // shard boundary, or two.
        (string[] xs, string[] ys) = _files.WriteShards(0, 7, 0, 10, 1, 5, 0);
        using var dataset = NpyMmapDataset.OpenShards(("x", xs), ("y", ys));
        Assert.Equal(23, dataset.Count);
        using var loader = new NpyDataLoader(dataset, batchSize: 4, shuffle: shuffle, seed: 2, num_workers: 2);
        long[] order = shuffle ? LoaderAssert.RandPerm(23, 2) : Range(23);
        int k = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
            DataFiles.AssertRows(batch, order.Skip(k++ * 4).Take(4).ToArray());
        Assert.Equal(6, k);
    }

    [Fact]
    public void Enumerate_Subset_ReadsTheViewedRowsInOrder()
    {
        Dictionary<string, string> paths = _files.WriteMixed(120);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        long[] viewed = [5, 119, 0, 6, 7, 8, 60, 61, 33, 5, 100];
        var subset = new Subset(dataset, viewed);
        using var loader = new NpyDataLoader(subset, batchSize: 4, num_workers: 1);
        LoaderAssert.Epoch(loader, reference, viewed, 4, dropLast: false);
    }

    [Fact]
    public void Enumerate_RandomSplit_SeededViewsThatPartitionTheDataset()
    {
        Dictionary<string, string> paths = _files.WriteMixed(130);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        Subset[] split = Subset.RandomSplit(dataset, [0.8, 0.2], seed: 9);
        Subset[] again = Subset.RandomSplit(dataset, [0.8, 0.2], seed: 9);
        Subset[] other = Subset.RandomSplit(dataset, [0.8, 0.2], seed: 10);
        Assert.Equal(new long[] { 104, 26 }, split.Select(s => s.Count));
        Assert.Equal(split[1].Indices, again[1].Indices);
        Assert.NotEqual(split[1].Indices, other[1].Indices);
        Assert.Same(dataset, split[0].Dataset);

        var seen = new List<long>();
        foreach (Subset part in split)
        {
            using var loader = new NpyDataLoader(part, batchSize: 16, shuffle: true, seed: 4, num_workers: 2);
            // The loader shuffles positions within the view; the rows are the view's indices at those positions.
            long[] order = LoaderAssert.RandPerm(part.Count, 4).Select(p => part.Indices[(int)p]).ToArray();
            LoaderAssert.Epoch(loader, reference, order, 16, dropLast: false);
            seen.AddRange(order);
        }
        Assert.Equal(Range(130), seen.Order());
    }

    [Fact]
    public void Enumerate_EnumerableSampler_FollowsTheUserOrder()
    {
        Dictionary<string, string> paths = _files.WriteMixed(40);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        // AsEnumerable: on net8.0 with C# 14, array.Reverse() binds to the in-place span Reverse.
        long[] order = Range(40).AsEnumerable().Reverse().Where(i => i % 3 != 0).ToArray();
        using var loader = new NpyDataLoader(dataset, batchSize: 5, sampler: new EnumerableSampler(order));
        LoaderAssert.Epoch(loader, reference, order, 5, dropLast: false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Enumerate_PageHints_ChangeNothingInTheBatches(bool subset)
    {
        Dictionary<string, string> paths = _files.WriteMixed(90);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        long[] view = Range(90).Where(i => i % 4 != 1).ToArray();
        IBatchDataset source = subset ? new Subset(dataset, view) : dataset;
        using var loader = new NpyDataLoader(source, batchSize: 8, shuffle: true, seed: 6, num_workers: 2, prefetch_factor: 3, pageHints: true);
        long[] order = LoaderAssert.RandPerm(source.Count, 6).Select(p => subset ? view[p] : p).ToArray();
        LoaderAssert.Epoch(loader, reference, order, 8, dropLast: false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HintsByDefault_MappedDataAgainstMemory_HintsOnlyWhenTheDataIsLarger(bool subset)
    {
        Dictionary<string, string> paths = _files.WriteMixed(90);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        IBatchDataset source = subset ? new Subset(dataset, [1, 5, 7]) : dataset;
        // The files' data bytes, from their sizes and headers: a subset's few samples lie anywhere in all of them.
        long dataBytes = paths.Values.Sum(p => new FileInfo(p).Length - TorchMmap.Format.NpyHeader.Read(p).DataOffset);

        Assert.True(NpyDataLoader.HintsByDefault(source, memoryBytes: dataBytes - 1));
        Assert.False(NpyDataLoader.HintsByDefault(source, memoryBytes: dataBytes));
    }

    [Fact]
    public void HintsByDefault_DatasetOverNoMappedFiles_NeverHints()
    {
        (string x, string y) = _files.Write(10);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));

        Assert.False(NpyDataLoader.HintsByDefault(new TrackingDataset(dataset), memoryBytes: 0));
    }

    [Fact]
    public void Constructor_PageHints_AsGivenElseFromTheDataAgainstMemory()
    {
        (string x, string y) = _files.Write(10);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));

        // A few hundred bytes of data: far below the memory any process here may use.
        using (var automatic = new NpyDataLoader(dataset, batchSize: 4))
            Assert.False(automatic.PageHints);
        using (var on = new NpyDataLoader(dataset, batchSize: 4, pageHints: true))
            Assert.True(on.PageHints);
        using (var off = new NpyDataLoader(dataset, batchSize: 4, pageHints: false))
            Assert.False(off.PageHints);
    }

    [Fact]
    public void GetEnumerator_UserSamplerShorterThanItsCount_ThrowsBeforeAnyBatch()
    {
        (string x, string y) = _files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 8, sampler: new EnumerableSampler(Range(30), count: 40));
        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => loader.GetEnumerator());
        Assert.Contains("30", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enumerate_UserSamplerIndexOutOfRange_ThrowsAtThatBatch()
    {
        (string x, string y) = _files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 8, sampler: new EnumerableSampler(Range(20).Append(40)), num_workers: 2);
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.True(e.MoveNext());
        Assert.Throws<ArgumentOutOfRangeException>(() => e.MoveNext());
    }

    [Theory]
    [InlineData(100, 10, false, 10)]
    [InlineData(101, 10, false, 11)]
    [InlineData(101, 10, true, 10)]
    [InlineData(9, 10, false, 1)]
    [InlineData(9, 10, true, 0)]
    [InlineData(0, 10, false, 0)]
    public void Count_AnySize_IsBatchesPerEpoch(long rows, int batchSize, bool dropLast, long expected)
    {
        (string x, string y) = _files.Write(rows);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, batchSize, drop_last: dropLast);
        Assert.Equal(expected, loader.Count);
        Assert.Equal(expected, LoaderAssert.Labels(loader).Count);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        (string x, string y) = _files.Write(10);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        Assert.Throws<ArgumentException>(() => new NpyDataLoader(dataset, 2, shuffle: true, sampler: new SequentialSampler(10)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NpyDataLoader(dataset, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NpyDataLoader(dataset, 2, num_workers: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NpyDataLoader(dataset, 2, prefetch_factor: 0));
        Assert.Throws<ArgumentException>(() => new NpyDataLoader(dataset, 2, sampler: new RandomSampler(11)));
        Assert.Throws<ArgumentException>(() => new NpyDataLoader(dataset, 2, sampler: new DistributedSampler(9, num_replicas: 2, rank: 0)));
    }
}
