using TorchMmap.Data;
using TorchMmap.Storage;
using TorchMmap.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Hardening;

/// <summary>
/// Disposing while other threads read: every read either returns correct data or throws ObjectDisposedException, never
/// another exception and never a read of unmapped memory (which would crash the test host).
/// </summary>
public sealed class DisposeRaceTests : IDisposable
{
    private const int Rounds = 12;
    private const int Readers = 3;
    private readonly DataFiles _files = new();

    [Fact]
    public void Dispose_NpyArrayWhileThreadsGather_ReadersGetRowsOrObjectDisposed()
    {
        (string x, _) = _files.Write(2000);
        for (int round = 0; round < Rounds; round++)
        {
            NpyArray array = NpyArray.Open(x);
            RaceAgainstDispose(array.Dispose, rng =>
            {
                long[] indices = RandomIndices(rng, 2000, 256);
                using Tensor rows = array.Gather(indices, threads: 2);
                int[] values = rows.data<int>().ToArray();
                for (int i = 0; i < indices.Length; i++)
                    Assert.Equal((int)(indices[i] * 6 + 5), values[i * 6 + 5]);
            }, round);
            Assert.True(array.IsDisposed);
        }
    }

    [Fact]
    public void Dispose_DatasetWhileThreadsGetBatches_ReadersGetBatchesOrObjectDisposed()
    {
        (string x, string y) = _files.Write(2000);
        for (int round = 0; round < Rounds; round++)
        {
            NpyMmapDataset dataset = NpyMmapDataset.Open(("x", x), ("y", y));
            RaceAgainstDispose(dataset.Dispose, rng =>
            {
                long[] indices = RandomIndices(rng, 2000, 128);
                using DisposeScope scope = torch.NewDisposeScope();
                if (rng.Next(4) == 0)
                {
                    Dictionary<string, Tensor> sample = dataset.GetTensor(indices[0]);
                    Assert.Equal(indices[0], sample["y"].item<long>());
                    return;
                }
                DataFiles.AssertRows(dataset.GetBatch(indices), indices);
            }, round);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dispose_LoaderWhileAnotherThreadEnumerates_EnumerationEndsOrThrowsObjectDisposed(bool loaderOwnsBatches)
    {
        (string x, string y) = _files.Write(3000);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        for (int round = 0; round < Rounds; round++)
        {
            // When the consumer owns its batches it checks and frees them; when the loader owns them, the dispose frees the
            // current one, so the consumer only counts them (touching a batch being freed is the caller's race, not ours).
            var loader = new NpyDataLoader(dataset, 50, shuffle: true, seed: round, num_workers: 2, prefetch_factor: 2, disposeBatch: loaderOwnsBatches);
            using var started = new ManualResetEventSlim();
            long batches = 0;
            var consumer = new Consumer(started, () =>
            {
                while (true)
                {
                    foreach (Dictionary<string, Tensor> batch in loader)
                    {
                        if (!loaderOwnsBatches)
                        {
                            Assert.Equal(50, batch["y"].shape[0]);
                            foreach (Tensor t in batch.Values)
                                t.Dispose();
                        }
                        batches++;
                        started.Set();
                    }
                }
            });
            started.Wait();
            Thread.Sleep(round % 4);
            loader.Dispose();
            Assert.True(consumer.Join(TimeSpan.FromSeconds(30)), "The enumerating thread did not stop after the loader was disposed.");
            Assert.Null(consumer.Failure);
            Assert.True(batches > 0);
        }
    }

    // The windows the test above hits only now and then, made frequent: the loader is disposed right as an enumeration
    // starts, between a MoveNext that returned true and its Current (which must still give the batch), or while MoveNext
    // waits for a worker whose thread has not run yet (which must still end its queue, or MoveNext would wait for ever).
    [Fact]
    public void Dispose_LoaderAsItsEnumerationStarts_MoveNextEndsOrThrowsObjectDisposed()
    {
        (string x, string y) = _files.Write(500);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        for (int round = 0; round < 200; round++)
        {
            var loader = new NpyDataLoader(dataset, 50, shuffle: true, seed: round, num_workers: 2, prefetch_factor: 2, disposeBatch: false);
            using var started = new ManualResetEventSlim();
            var consumer = new Consumer(started, () =>
            {
                using IEnumerator<Dictionary<string, Tensor>> batches = loader.GetEnumerator();
                started.Set();
                while (batches.MoveNext())
                {
                    foreach (Tensor t in batches.Current.Values)
                        t.Dispose();
                }
            });
            started.Wait();
            loader.Dispose();
            Assert.True(consumer.Join(TimeSpan.FromSeconds(30)), $"round {round}: MoveNext did not return after the loader was disposed.");
            Assert.Null(consumer.Failure);
        }
    }

    public void Dispose() => _files.Dispose();

    // Enumerates on a thread of its own: ObjectDisposedException ends it as expected, any other exception is its failure;
    // started is set when it ends, whichever way.
    private sealed class Consumer
    {
        private readonly Thread _thread;

        public Consumer(ManualResetEventSlim started, Action enumerate)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    enumerate();
                }
                catch (ObjectDisposedException)
                {
                }
                catch (Exception ex)
                {
                    Failure = ex;
                }
                finally
                {
                    started.Set();
                }
            })
            { IsBackground = true };
            _thread.Start();
        }

        public Exception? Failure { get; private set; }

        public bool Join(TimeSpan timeout) => _thread.Join(timeout);
    }

    private static long[] RandomIndices(Random rng, int rows, int count) => Enumerable.Range(0, count).Select(_ => (long)rng.Next(rows)).ToArray();

    // Readers loop until they see ObjectDisposedException; the owner is disposed after each reader has read at least once.
    private static void RaceAgainstDispose(Action dispose, Action<Random> read, int round)
    {
        using var ready = new CountdownEvent(Readers);
        var errors = new Exception?[Readers];
        var reads = new long[Readers];
        var threads = new Thread[Readers];
        for (int t = 0; t < Readers; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                var rng = new Random(round * 31 + id);
                bool signalled = false;
                try
                {
                    while (true)
                    {
                        read(rng);
                        reads[id]++;
                        if (!signalled)
                        {
                            ready.Signal();
                            signalled = true;
                        }
                    }
                }
                catch (ObjectDisposedException)
                {
                }
                catch (Exception ex)
                {
                    errors[id] = ex;
                }
                if (!signalled)
                    ready.Signal();
            });
            threads[t].Start();
        }
        ready.Wait();
        Thread.Sleep(round % 3);
        dispose();
        foreach (Thread t in threads)
            Assert.True(t.Join(TimeSpan.FromSeconds(30)), "A reader did not stop after dispose.");
        Assert.All(errors, Assert.Null);
        Assert.All(reads, r => Assert.True(r > 0));
    }
}
