using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class NpyDataLoaderWorkersTests : IDisposable
{
    private static readonly TimeSpan s_noHang = TimeSpan.FromSeconds(20);
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private NpyMmapDataset OpenMixed(long rows, out RowReference reference)
    {
        Dictionary<string, string> paths = _files.WriteMixed(rows);
        reference = new RowReference(paths);
        return NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
    }

    // Runs an action that must finish, failing the test instead of hanging it.
    private static void WithinTimeout(Action action)
    {
        Task task = Task.Run(action);
        Assert.True(task.Wait(s_noHang), "The operation did not finish: the loader hangs.");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void MoveNext_WorkerThrowsOnBatchK_RethrowsTheOriginalExceptionAtBatchK(int workers)
    {
        using NpyMmapDataset inner = OpenMixed(200, out RowReference reference);
        using RowReference r = reference;
        const int BatchSize = 10, FailingBatch = 7;
        var dataset = new TrackingDataset(inner, failAtFirstIndex: FailingBatch * BatchSize);
        using var loader = new NpyDataLoader(dataset, BatchSize, num_workers: workers, prefetch_factor: 2);
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        for (int k = 0; k < FailingBatch; k++)
        {
            Assert.True(e.MoveNext());
            r.AssertBatch(e.Current, Enumerable.Range(k * BatchSize, BatchSize).Select(i => (long)i).ToArray());
        }

        BatchReadException ex = Assert.Throws<BatchReadException>(() => e.MoveNext());
        Assert.Same(dataset.Thrown, ex);
        // The stack still starts where the dataset threw, inside the loader's batch assembly.
        Assert.Contains("TrackingDataset.ThrowReadFailure", ex.StackTrace, StringComparison.Ordinal);
        Assert.Contains("TrackingDataset.GetBatch", ex.StackTrace, StringComparison.Ordinal);
        Assert.Contains("NpyDataLoader.Enumerator.Build", ex.StackTrace, StringComparison.Ordinal);
        WithinTimeout(e.Dispose);
        Assert.Equal(0, dataset.Running);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(0, true)]
    public void Dispose_MidEpoch_StopsWorkersAndFreesEveryBatch(int workers, bool disposeLoader)
    {
        using NpyMmapDataset inner = OpenMixed(400, out RowReference reference);
        using RowReference r = reference;
        var dataset = new TrackingDataset(inner);
        var loader = new NpyDataLoader(dataset, batchSize: 10, shuffle: true, seed: 1, num_workers: workers, prefetch_factor: 3);
        IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        long[] order = LoaderAssert.RandPerm(400, 1);
        Dictionary<string, Tensor>? current = null;
        for (int k = 0; k < 4; k++)
        {
            Assert.True(e.MoveNext());
            current = e.Current;
            r.AssertBatch(current, order.Skip(k * 10).Take(10).ToArray());
        }

        WithinTimeout(disposeLoader ? loader.Dispose : e.Dispose);

        // Dispose waited for the workers: none is reading, and none starts afterwards.
        Assert.Equal(0, dataset.Running);
        int calls = dataset.Calls;
        Assert.True(calls < 40, $"The workers read {calls} of 40 batches; they should have stopped after the prefetched ones.");
        // The batch current at the dispose is the caller's now, still whole; every other tensor made (the prefetched
        // batches) has been freed, and this one is once the caller disposes it.
        r.AssertBatch(current!, order.Skip(30).Take(10).ToArray());
        foreach (Tensor t in current!.Values)
            t.Dispose();
        Assert.NotEmpty(dataset.Made);
        Assert.All(dataset.Made, t => Assert.True(t.IsInvalid, "A batch tensor was left alive."));
        Thread.Sleep(50);
        Assert.Equal(calls, dataset.Calls);
        Assert.Throws<ObjectDisposedException>(() => e.MoveNext());
        loader.Dispose();
        e.Dispose();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void MoveNext_NextBatch_DisposesThePreviousOne(int workers)
    {
        using NpyMmapDataset inner = OpenMixed(60, out RowReference reference);
        using RowReference r = reference;
        using var loader = new NpyDataLoader(inner, batchSize: 8, num_workers: workers);
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        Assert.True(e.MoveNext());
        Dictionary<string, Tensor> first = e.Current;
        Assert.All(first.Values, t => Assert.False(t.IsInvalid));
        Assert.True(e.MoveNext());
        Assert.All(first.Values, t => Assert.True(t.IsInvalid));
        Dictionary<string, Tensor> second = e.Current;
        r.AssertBatch(second, Enumerable.Range(8, 8).Select(i => (long)i).ToArray());
        while (e.MoveNext())
        {
        }
        Assert.All(second.Values, t => Assert.True(t.IsInvalid));
    }

    [Fact]
    public void MoveNext_DisposeBatchFalse_CallerOwnsEveryBatch()
    {
        using NpyMmapDataset inner = OpenMixed(60, out RowReference reference);
        using RowReference r = reference;
        using var loader = new NpyDataLoader(inner, batchSize: 8, num_workers: 2, disposeBatch: false);
        var kept = loader.ToList();
        Assert.Equal(8, kept.Count);
        for (int k = 0; k < kept.Count; k++)
        {
            Assert.All(kept[k].Values, t => Assert.False(t.IsInvalid));
            r.AssertBatch(kept[k], Enumerable.Range(k * 8, Math.Min(8, 60 - k * 8)).Select(i => (long)i).ToArray());
        }
        foreach (Tensor t in kept.SelectMany(b => b.Values))
            t.Dispose();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Enumerate_SeveralEpochsWithBreaks_LeavesNoTensorAlive(int workers)
    {
        using NpyMmapDataset inner = OpenMixed(100, out RowReference reference);
        reference.Dispose();
        var dataset = new TrackingDataset(inner);
        using (var loader = new NpyDataLoader(dataset, batchSize: 7, shuffle: true, num_workers: workers, prefetch_factor: 2))
        {
            for (int epoch = 0; epoch < 3; epoch++)
            {
                int k = 0;
                foreach (Dictionary<string, Tensor> batch in loader)
                {
                    Assert.True(batch["label"].shape[0] is 7 or 2);
                    if (epoch == 1 && ++k == 3)
                    {
                        // The batch a foreach is left on becomes the caller's, so the caller disposes it.
                        Dictionary<string, Tensor> kept = batch;
                        foreach (Tensor t in kept.Values)
                            t.Dispose();
                        break;
                    }
                }
            }
        }
        Assert.NotEmpty(dataset.Made);
        Assert.All(dataset.Made, t => Assert.True(t.IsInvalid, "A batch tensor was left alive."));
    }

    [Fact]
    public void GetEnumerator_AfterLoaderDispose_Throws()
    {
        (string x, string y) = _files.Write(10);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        var loader = new NpyDataLoader(dataset, 4);
        loader.Dispose();
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.GetEnumerator());
        // The loader did not own the dataset, so it is still usable.
        using var scope = torch.NewDisposeScope();
        Assert.Equal(2, dataset.GetBatch([1, 2])["label"].shape[0]);
    }
}
