using TorchMmap.Data;
using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed unsafe class BatchSlotPoolTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    public void Loader_OwnedBatches_ReuseAFixedSetOfBuffers(int workers, int prefetch)
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(203);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 8, shuffle: true, seed: 2, num_workers: workers, prefetch_factor: prefetch);
        var addresses = new HashSet<nint>();
        for (long epoch = 0; epoch < 2; epoch++)
        {
            var order = new RandomSampler(203, seed: 2);
            order.SetEpoch(epoch);
            long[] indices = order.GetIndices();
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                DataFiles.AssertRows(batch, indices.Skip(k * 8).Take(8).ToArray());
                addresses.Add((nint)TensorMemory.DataPointer(batch["x"], "x"));
                k++;
            }

            Assert.Equal(26, k);
        }

        // 52 batches (the last of each epoch short) came from at most one buffer per batch in flight: each worker's ring and
        // the batch it builds, the batch the loop holds and, with workers, one the loop built ahead while it waited.
        Assert.InRange(addresses.Count, 1, (workers * (prefetch + 1)) + (workers > 0 ? 2 : 1));
    }

    [Fact]
    public void Loader_ClonedBatch_KeepsItsRowsAfterTheBufferIsReused()
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(64);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 4, num_workers: 1);
        var kept = new List<Tensor>();
        try
        {
            foreach (Dictionary<string, Tensor> batch in loader)
                kept.Add(batch["y"].clone());

            Assert.Equal(Enumerable.Range(0, 64).Select(i => (long)i), kept.SelectMany(t => t.data<long>().ToArray()));
        }
        finally
        {
            kept.ForEach(t => t.Dispose());
        }
    }

    [Fact]
    public void Loader_CallerOwnedBatches_EachHasItsOwnMemory()
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 8, num_workers: 1, disposeBatch: false);
        var batches = loader.ToList();
        try
        {
            // Every batch is still intact after the whole epoch, so none shares memory with a later one.
            for (int k = 0; k < batches.Count; k++)
                DataFiles.AssertRows(batches[k], Enumerable.Range(k * 8, 8).Select(i => (long)i).ToArray());
            Assert.Equal(5, batches.Select(b => (nint)TensorMemory.DataPointer(b["x"], "x")).Distinct().Count());
        }
        finally
        {
            foreach (Tensor t in batches.SelectMany(b => b.Values))
                t.Dispose();
        }
    }

    [Fact]
    public void Loader_CallerDisposesBatchTensors_NextBatchesStayCorrect()
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(50);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 10, num_workers: 0);
        int k = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            DataFiles.AssertRows(batch, Enumerable.Range(k * 10, 10).Select(i => (long)i).ToArray());
            foreach (Tensor t in batch.Values)
                t.Dispose();
            k++;
        }

        Assert.Equal(5, k);
    }

    [Fact]
    public void Loader_ConversionAddedBetweenEpochs_BatchesFollowIt()
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(30);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 10, num_workers: 1);
        foreach (Dictionary<string, Tensor> batch in loader)
            Assert.Equal(ScalarType.Int32, batch["x"].dtype);
        dataset.SetConversion("x", BatchConversion.ToFloat32(scale: 0.5));

        foreach (Dictionary<string, Tensor> batch in loader)
        {
            long first = batch["y"].data<long>()[0];
            Assert.Equal(ScalarType.Float32, batch["x"].dtype);
            Assert.Equal(first * 6 * 0.5f, batch["x"].data<float>()[0]);
        }
    }

    [Fact]
    public void Loader_ConversionSetMidEpoch_AppliesFromTheNextBatch()
    {
        using var files = new DataFiles();
        (string x, string y) = files.Write(30);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 10, num_workers: 0);
        var types = new List<ScalarType>();
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            types.Add(batch["x"].dtype);
            dataset.SetConversion("x", BatchConversion.ToFloat32());
        }

        Assert.Equal([ScalarType.Int32, ScalarType.Float32, ScalarType.Float32], types);
    }

    [Fact]
    public void Rent_AfterReturn_GivesTheSameSlotBack()
    {
        using var pool = new BatchSlotPool(4, [("a", [3], ScalarType.Float32)], capacity: 1);
        Dictionary<string, Tensor> first = pool.Rent();
        nint address = (nint)TensorMemory.DataPointer(first["a"], "a");
        pool.Return(first);

        Dictionary<string, Tensor> again = pool.Rent();
        Assert.Same(first, again);
        Assert.Equal(address, (nint)TensorMemory.DataPointer(again["a"], "a"));
        Assert.Equal(new long[] { 4, 3 }, again["a"].shape);
        pool.Return(again);
    }

    [Fact]
    public void Return_BeyondCapacityOrDisposedTensor_FreesTheSlot()
    {
        using var pool = new BatchSlotPool(2, [("a", [1], ScalarType.Int64)], capacity: 1);
        Dictionary<string, Tensor> a = pool.Rent(), b = pool.Rent(), c = pool.Rent();
        pool.Return(a);
        pool.Return(b);            // the pool keeps one slot: b is freed
        c["a"].Dispose();
        pool.Return(c);            // a slot whose tensor the caller disposed is never reused

        Assert.True(b["a"].IsInvalid);
        Assert.Same(a, pool.Rent());
        Assert.NotSame(c, pool.Rent());
    }

    [Fact]
    public void Returns_CountsSlotsTakenBackIntoTheFreeOnesOnly()
    {
        using var pool = new BatchSlotPool(2, [("a", [1], ScalarType.Int64)], capacity: 1);
        Dictionary<string, Tensor> a = pool.Rent(), b = pool.Rent();
        Assert.Equal(0, pool.Returns);

        pool.Return(a);
        pool.Return(b);            // beyond capacity: freed, not taken back
        pool.Return(null);

        Assert.Equal(1, pool.Returns);
    }

    [Fact]
    public void AwaitReturn_ASlotComesBackOnAnotherThread_ReturnsThenRatherThanAtTheEndOfTheSpin()
    {
        using var pool = new BatchSlotPool(2, [("a", [1], ScalarType.Int64)], capacity: 1);
        Dictionary<string, Tensor> slot = pool.Rent();
        int seen = pool.Returns;
        var giveBack = new Thread(() =>
        {
            Thread.Sleep(20);
            pool.Return(slot);
        });
        giveBack.Start();

        // A spin of 60 s: returning at all within the test's time shows it ended on the return.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        pool.AwaitReturn(seen, System.Diagnostics.Stopwatch.Frequency * 60);
        Assert.True(giveBack.Join(TimeSpan.FromSeconds(20)));

        Assert.Equal(seen + 1, pool.Returns);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"AwaitReturn took {clock.Elapsed}.");
        Assert.Same(slot, pool.Rent());
    }

    [Fact]
    public void AwaitReturn_NothingComesBack_ReturnsAfterTheSpin()
    {
        using var pool = new BatchSlotPool(2, [("a", [1], ScalarType.Int64)], capacity: 1);
        Dictionary<string, Tensor> held = pool.Rent();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        pool.AwaitReturn(pool.Returns, System.Diagnostics.Stopwatch.Frequency / 100);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(9), $"AwaitReturn ended after {clock.Elapsed} with nothing returned.");
        Assert.Equal(0, pool.Returns);
        pool.Return(held);
    }

    [Fact]
    public void Dispose_FreesKeptSlotsAndLaterReturns()
    {
        var pool = new BatchSlotPool(2, [("a", [1], ScalarType.Int64)], capacity: 2);
        Dictionary<string, Tensor> kept = pool.Rent(), outstanding = pool.Rent();
        pool.Return(kept);
        pool.Dispose();

        Assert.True(kept["a"].IsInvalid);
        pool.Return(outstanding);
        Assert.True(outstanding["a"].IsInvalid);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    [Fact]
    public void Rent_ViewsDroppedWithoutDispose_SlotsComeBackOnceCollectedSoTheRingStaysBounded()
    {
        using var pool = new BatchSlotPool(4, [("a", [3], ScalarType.Float32)], capacity: 2);
        var distinct = new HashSet<Dictionary<string, Tensor>>(ReferenceEqualityComparer.Instance);
        for (int k = 0; k < 50; k++)
        {
            Dictionary<string, Tensor> slot = pool.Rent();
            distinct.Add(slot);
            LeakAView(slot["a"]);
            pool.Return(slot);
        }

        // Each leaked view holds its slot until the GC finalizes it; the pool collects once the ring's worth is held.
        Assert.InRange(distinct.Count, 1, 2 + 1);
    }

    [Fact]
    public void Rent_ViewKeptOnPurpose_ItsSlotIsNeverFilledAgain()
    {
        using var pool = new BatchSlotPool(4, [("a", [3], ScalarType.Float32)], capacity: 1);
        Dictionary<string, Tensor> first = pool.Rent();
        first["a"].fill_(7);
        using Tensor kept = first["a"].narrow(0, 0, 2);
        pool.Return(first);
        for (int k = 0; k < 10; k++)
        {
            Dictionary<string, Tensor> slot = pool.Rent();
            Assert.NotSame(first, slot);
            slot["a"].fill_(k);
            pool.Return(slot);
        }
        Assert.All(kept.data<float>().ToArray(), v => Assert.Equal(7f, v));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void LeakAView(Tensor t) => _ = t.narrow(0, 0, 1);
}
