using System.Collections.Concurrent;
using TorchMmap.Data;
using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>A training loop that would wait for its worker builds batches itself: the batch it needs if the worker has not
/// started it, else the worker's next one, kept for its turn.</summary>
public sealed class NpyDataLoaderStealingTests : IDisposable
{
    private const int BatchSize = 10;
    private static readonly TimeSpan s_noHang = TimeSpan.FromSeconds(20);
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MoveNext_LoaderSlowerThanTheLoop_EveryBatchBuiltOnceAndHandedOutInOrder(int workers)
    {
        Dictionary<string, string> paths = _files.WriteMixed(300);
        using var inner = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        var dataset = new RecordingDataset(inner) { Delay = TimeSpan.FromMilliseconds(3) };
        using var loader = new NpyDataLoader(dataset, BatchSize, num_workers: workers, prefetch_factor: 2);
        int loop = Environment.CurrentManagedThreadId;

        for (int epoch = 0; epoch < 2; epoch++)
        {
            dataset.Builds.Clear();
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                reference.AssertBatch(batch, Enumerable.Range(k * BatchSize, BatchSize).Select(i => (long)i).ToArray());
                k++;
            }

            Assert.Equal(30, k);
            // Each batch was read exactly once, by a worker or by the loop, never by both.
            Assert.Equal(Enumerable.Range(0, 30).Select(b => (long)b * BatchSize), dataset.Builds.Keys.Order());
            Assert.All(dataset.Builds.Values, threads => Assert.Single(threads));
            // A loop that does nothing between batches is faster than any worker: it built some of them.
            Assert.Contains(dataset.Builds.Values, threads => threads.Contains(loop));
            Assert.Contains(dataset.Builds.Values, threads => !threads.Contains(loop));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MoveNext_WorkerBusyWithTheNextBatch_LoopBuildsTheOneAfterAndHandsItOutAtItsTurn(bool fail)
    {
        Dictionary<string, string> paths = _files.WriteMixed(100);
        using var inner = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);
        // The worker's read of batch 1 waits until batch 2's read has started, which only the loop can then do.
        var batch2Started = new ManualResetEventSlim();
        var dataset = new RecordingDataset(inner)
        {
            OnRead = first =>
            {
                if (first == 1 * BatchSize)
                    Assert.True(batch2Started.Wait(s_noHang), "Batch 2 was never read while the worker held batch 1.");
                if (first == 2 * BatchSize)
                {
                    batch2Started.Set();
                    if (fail)
                        throw new BatchReadException("Simulated read failure of batch 2.");
                }
            },
        };
        using var loader = new NpyDataLoader(dataset, BatchSize, num_workers: 1, prefetch_factor: 2);
        int loop = Environment.CurrentManagedThreadId;
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();

        // The worker builds batch 0 into its ring and then holds batch 1, before the loop asks for anything.
        Assert.True(SpinWait.SpinUntil(() => dataset.Builds.ContainsKey(1 * BatchSize), s_noHang), "The worker never started batch 1.");
        Assert.True(e.MoveNext());
        reference.AssertBatch(e.Current, Enumerable.Range(0, BatchSize).Select(i => (long)i).ToArray());
        Assert.DoesNotContain(loop, dataset.Builds[0]);

        Assert.True(e.MoveNext());
        reference.AssertBatch(e.Current, Enumerable.Range(BatchSize, BatchSize).Select(i => (long)i).ToArray());
        Assert.DoesNotContain(loop, dataset.Builds[1 * BatchSize]);
        Assert.Equal([loop], dataset.Builds[2 * BatchSize]);
        if (fail)
        {
            // Built early, its failure still comes at its own turn.
            Assert.Throws<BatchReadException>(() => e.MoveNext());
            return;
        }

        for (int k = 2; k < 10; k++)
        {
            Assert.True(e.MoveNext());
            reference.AssertBatch(e.Current, Enumerable.Range(k * BatchSize, BatchSize).Select(i => (long)i).ToArray());
        }

        Assert.False(e.MoveNext());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MoveNext_LargeBatchesWithAWorker_EveryBatchHoldsExactlyItsRows(bool shuffle)
    {
        // 32 rows of 192 KiB: 6 MiB batches, which the default copy cuts into parts the waiting loop helps with.
        string path = _files.PathOf("large.npy");
        using (Tensor rows = torch.arange(128L * 3 * 256 * 256, dtype: ScalarType.Int64).remainder(251).to_type(ScalarType.Byte).reshape(128, 3, 256, 256))
            Npy.Save(path, rows);
        using var dataset = NpyMmapDataset.Open(("x", path));
        using Tensor all = Npy.Load(path);
        using var loader = new NpyDataLoader(dataset, 32, shuffle: shuffle, seed: 5);
        var sampler = shuffle ? (Sampler)new RandomSampler(128, seed: 5) : new SequentialSampler(128);

        for (int epoch = 0; epoch < 2; epoch++)
        {
            sampler.SetEpoch(epoch);
            long[] order = sampler.GetIndices();
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                using DisposeScope scope = torch.NewDisposeScope();
                Tensor expected = all.index_select(0, torch.tensor(order.Skip(k * 32).Take(32).ToArray()));
                Assert.True(expected.eq(batch["x"]).all().item<bool>(), $"Batch {k} of epoch {epoch} differs from index_select.");
                k++;
            }

            Assert.Equal(4, k);
        }
    }

    [Fact]
    public unsafe void MoveNext_WorkerSharesLargeBatches_TheWaitingLoopHelpsInsteadOfBuildingAhead()
    {
        // 16 rows of 384 KiB: 6 MiB batches, which the default copy cuts into parts a waiting loop shares; that needs a
        // second processor (one part per processor at most).
        Assert.True(Environment.ProcessorCount >= 2, "This test needs at least 2 processors.");
        const long RowBytes = 384 * 1024;
        string path = _files.PathOf("shared.npy");
        using (Tensor rows = torch.arange(96L * RowBytes, dtype: ScalarType.Int64).remainder(253).to_type(ScalarType.Byte).reshape(96, 384, 1024))
            Npy.Save(path, rows);
        using var inner = NpyMmapDataset.Open(("x", path));
        var dataset = new RecordingFill(inner);
        using var loader = new NpyDataLoader(dataset, 16, shuffle: true, seed: 3);
        var sampler = new RandomSampler(96, seed: 3);
        int loop = Environment.CurrentManagedThreadId;
        int workerFills = 0;

        for (int epoch = 0; epoch < 10; epoch++)
        {
            sampler.SetEpoch(epoch);
            long[] order = sampler.GetIndices();
            var batchOf = new Dictionary<long, int>();
            for (int i = 0; i < order.Length; i += 16)
                batchOf[order[i]] = i / 16;
            dataset.Fills.Clear();
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                // Next to nothing between batches, so the loop waits for the worker every time: a row's first and last
                // byte (element e holds e mod 253) show it is that row.
                byte* data = TensorMemory.DataPointer(batch["x"], "x");
                for (int r = 0; r < 16; r++)
                {
                    long row = order[(k * 16) + r];
                    Assert.Equal((byte)(row * RowBytes % 253), data[r * RowBytes]);
                    Assert.Equal((byte)(((row + 1) * RowBytes - 1) % 253), data[((r + 1) * RowBytes) - 1]);
                }

                dataset.Asking = ++k;
            }

            Assert.Equal(6, k);
            // The loop builds a batch ahead of its turn only before the worker's first post of the epoch tells it that the
            // worker shares its copies: once at most (the worker posts the batch it claimed while the loop built ahead).
            int ahead = dataset.Fills.Count(f => f.Thread == loop && batchOf[f.First] != f.Asking);
            Assert.True(ahead <= 1, $"Epoch {epoch}: the loop built {ahead} batches ahead of its turn.");
            workerFills += dataset.Fills.Count(f => f.Thread != loop);
            dataset.Asking = 0;
        }

        // A worker started late on a busy machine may find a whole epoch claimed by the loop; over ten epochs it fills
        // some, so the sharing above was exercised.
        Assert.True(workerFills > 0, "The worker filled no batch in ten epochs.");
    }

    // Records the thread and the MoveNext in progress for every batch the loader fills in place, by its first index.
    private sealed class RecordingFill(NpyMmapDataset inner) : IBatchDataset, IBatchFill
    {
        public ConcurrentBag<(long First, int Thread, int Asking)> Fills { get; } = [];

        // The batch the training loop is asking for (set by the test before each MoveNext).
        public volatile int Asking;

        public long Count => inner.Count;

        public IReadOnlyList<string> Names => inner.Names;

        public (string Name, long[] SampleShape, ScalarType Type)[]? FillLayout => ((IBatchFill)inner).FillLayout;

        public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices) => inner.GetBatch(indices);

        public bool TryFillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help = null)
        {
            Fills.Add((indices[0], Environment.CurrentManagedThreadId, Asking));
            return ((IBatchFill)inner).TryFillBatch(indices, destination, help);
        }
    }

    // Records which threads read each batch (by its first index); optionally slow, or running an action before each read.
    private sealed class RecordingDataset(IBatchDataset inner) : IBatchDataset
    {
        public ConcurrentDictionary<long, ConcurrentBag<int>> Builds { get; } = new();

        public TimeSpan Delay { get; init; }

        public Action<long>? OnRead { get; init; }

        public long Count => inner.Count;

        public IReadOnlyList<string> Names => inner.Names;

        public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
        {
            Builds.GetOrAdd(indices[0], _ => []).Add(Environment.CurrentManagedThreadId);
            OnRead?.Invoke(indices[0]);
            if (Delay > TimeSpan.Zero)
                Thread.Sleep(Delay);
            return inner.GetBatch(indices);
        }
    }
}
