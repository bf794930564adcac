using System.Buffers;
using System.Collections;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

public sealed partial class NpyDataLoader
{
    /// <summary>One epoch (or its rest, from a resume position): batch k holds the replica's rows k*B .. (k+1)*B from there.</summary>
    private sealed class Enumerator : IEnumerator<Dictionary<string, Tensor>>
    {
        private readonly NpyDataLoader _loader;
        private readonly EpochIndices _indices;
        private readonly long _before;   // batches of the epoch before the resume position
        private readonly long _batches;
        private readonly BatchRing<Item>[] _rings;
        // Per worker, the next batch it will build. The worker and the training loop both claim batches by advancing it, so
        // a batch is built exactly once, by whichever side claimed it.
        private readonly long[] _claims;
        private readonly CopyHelp[] _helps;   // per worker, the batch copy it is running, for a waiting loop to share
        private readonly Task[] _workers;
        private readonly CancellationTokenSource _cancel = new();
        private readonly BatchSlotPool? _slots;
        private readonly long _start;
        // The longest a thread spins for the other side of a large batch's hand-off (0.1 ms): a fraction of copying such a
        // batch, several times the steps the other side takes to get there when it is not busy elsewhere.
        private static readonly long HandOffSpin = Stopwatch.Frequency / 10_000;
        private Item? _current;   // the batch handed out, with the slot it views
        private Item? _stolen;    // a batch the training loop built ahead of a worker while it waited for the one before
        // What Current returns. Only the enumerating thread writes it, so a Dispose from another thread (which takes
        // _current) cannot take the batch away between a MoveNext that returned true and the Current that follows.
        private Dictionary<string, Tensor>? _batch;
        private long _next;
        private int _disposed;   // 0 or 1; Dispose may come from another thread (the loader's Dispose)
        private int _busy;       // 1 while MoveNext runs, to refuse a second thread

        public Enumerator(NpyDataLoader loader, long epoch, EpochIndices indices, long batchesBefore, BatchSlotPool? slots)
        {
            _loader = loader;
            _slots = slots;
            _indices = indices;
            _before = batchesBefore;
            Epoch = epoch;
            _batches = indices.Batches;
            _next = 0;
            _start = 0;
            Consumed = batchesBefore;
            ThreadId = Environment.CurrentManagedThreadId;
            int workers = (int)Math.Min(loader.NumWorkers, _batches);
            _rings = new BatchRing<Item>[workers];
            _claims = new long[workers];
            _helps = new CopyHelp[workers];
            _workers = new Task[workers];
            for (int w = 0; w < workers; w++)
            {
                _rings[w] = new BatchRing<Item>(loader.PrefetchFactor);
                _claims[w] = FirstBatchOf(w);
                _helps[w] = new CopyHelp();
                int worker = w;
                // Not started with the cancellation token: a task cancelled before its thread runs never runs at all, and
                // then nothing would complete its ring. Work checks the token itself and always completes the ring.
                _workers[w] = Task.Factory.StartNew(() => Work(worker), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }

        public long Epoch { get; }

        /// <summary>The managed thread that started the enumeration.</summary>
        public int ThreadId { get; }

        /// <summary>Batches handed out so far in this epoch (including those before a resume position).</summary>
        public long Consumed { get; private set; }

        /// <summary>The global position reached: the positions before it have been read by every replica.</summary>
        public long Position => _indices.PositionAfter(_next);

        public bool Finished { get; private set; }

        /// <summary>Every batch of the epoch has been handed out (MoveNext may not have been asked for the end yet).</summary>
        public bool Exhausted => _next >= _batches;

        public Dictionary<string, Tensor> Current => _batch ?? throw new InvalidOperationException(Messages.EnumeratorNoCurrent);

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (Interlocked.Exchange(ref _busy, 1) != 0)
                throw new InvalidOperationException(Messages.EnumeratorConcurrentMoveNext);
            try
            {
                return MoveNextCore();
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        private bool MoveNextCore()
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            _batch = null;
            ReleaseCurrent();
            if (_next >= _batches)
            {
                if (!Finished)
                {
                    Finished = true;
                    _loader.OnEpochFinished(this);
                }
                return false;
            }
            long start = Stopwatch.GetTimestamp();
            Item item;
            try
            {
                if (_workers.Length == 0 && _loader.HintsRows)
                    HintAhead();
                item = _workers.Length == 0 ? Build(_next) : Take(_next);
            }
            finally
            {
                _loader.AddWait(Stopwatch.GetTimestamp() - start);
            }
            // With a Dispose racing on another thread, exactly one side sees the other (both use full fences) and frees
            // the batch the loader owns.
            Interlocked.Exchange(ref _current, item);
            if (_loader.DisposeBatch && Volatile.Read(ref _disposed) != 0)
            {
                ReleaseCurrent();
                throw new ObjectDisposedException(GetType().FullName);
            }
            _next++;
            Consumed = _before + _next;
            _batch = item.Batch;
            return true;
        }

        public void Reset() => throw new NotSupportedException(Messages.EnumeratorReset);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            HandOverCurrent();
            if (Interlocked.Exchange(ref _stolen, null) is { } stolen)
                Discard(stolen);
            _cancel.Cancel();
            foreach (BatchRing<Item> ring in _rings)
                ring.Abandon();
            try
            {
                Task.WaitAll(_workers);
            }
            catch (AggregateException)
            {
                // Workers end by cancellation; their errors were delivered as items or are moot now.
            }
            foreach (BatchRing<Item> ring in _rings)
            {
                while (ring.TryTakeNow(out Item? item))
                    Discard(item);
            }
            _cancel.Dispose();
            _loader.OnEnumeratorDisposed(this);
        }

        // The batch from its worker's ring. A training loop that would wait works instead of sleeping: it builds the batch
        // it needs if its worker has not started it; else it copies parts of that batch if the worker posts its copy
        // (large batches), or builds the worker's next batch, kept for later (small ones). Two threads then build batches
        // whenever the loader is what the loop waits for, and none when the ring is ahead.
        private Item Take(long batch)
        {
            if (_stolen?.Index == batch)
                return Deliver(Interlocked.Exchange(ref _stolen, null)!);
            int worker = (int)(batch % _rings.Length);
            BatchRing<Item> ring = _rings[worker];
            if (ring.TryTakeNow(out Item? item))
                return Deliver(item);
            if (TryClaim(worker, batch))
                return Deliver(BuildCapturing(batch));
            CopyHelp help = _helps[worker];
            bool helped = Help(help);
            // Nothing posted by a worker that shares its batches: it claimed this one and posts its copy in a moment.
            // Building its next batch meanwhile would copy two large batches on one thread each, into two more buffers
            // than the processor's cache holds; sharing this one keeps both threads on one warm buffer.
            if (!helped && help.Shares && !help.IsPosted)
                helped = AwaitPost(ring, help);
            // Having shared the copy, the batch is the worker's last part away: spinning for it spares a wake-up, so the
            // loop's next MoveNext gives this batch's buffer back while the worker still waits to fill it again, warm.
            if (helped && SpinForBatch(ring, out item))
                return Deliver(item);
            long ahead = batch + _rings.Length;
            if (!helped && !help.Shares && _stolen is null && ahead < _batches && TryClaim(worker, ahead))
            {
                Item built = BuildCapturing(ahead);
                // A Dispose from another thread meanwhile has already looked for a stolen batch: free this one here.
                if (Interlocked.Exchange(ref _stolen, built) is null && Volatile.Read(ref _disposed) != 0 && Interlocked.Exchange(ref _stolen, null) is { } late)
                    Discard(late);
            }
            // A worker that stopped without a batch or an error marks its ring complete, so this cannot hang.
            if (!ring.TryTake(out item))
            {
                // Workers also stop when the enumeration is disposed from another thread while this one waits.
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                throw new InvalidOperationException(Messages.Format(Messages.WorkerNoBatch, batch));
            }
            return Deliver(item);

            Item Deliver(Item taken)
            {
                Debug.Assert(taken.Error is not null || taken.Index == batch);
                if (taken.Error is not null)
                    taken.Error.Throw();
                return taken;
            }
        }

        // Spins until the ring has an item, for at most HandOffSpin; false when none came (or none will).
        private static bool SpinForBatch(BatchRing<Item> ring, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Item? item)
        {
            Item? taken = null;
            BoundedSpin.Until(() => ring.TryTakeNow(out taken) || ring.IsAddingCompleted, HandOffSpin);
            item = taken;
            return item is not null;
        }

        // Copies parts of the worker's posted copy while there are any; false when it copied none.
        private static bool Help(CopyHelp help)
        {
            bool helped = false;
            while (help.TryHelp())
                helped = true;
            return helped;
        }

        // Spins until the worker posts its copy, then shares it; false when the batch is ready first or no post comes within
        // HandOffSpin (the worker's steps from its claim to its post take microseconds).
        private static bool AwaitPost(BatchRing<Item> ring, CopyHelp help) =>
            BoundedSpin.Until(() => help.IsPosted || ring.Count != 0 || ring.IsAddingCompleted, HandOffSpin) && help.IsPosted && Help(help);

        // Advances the worker's next batch past batch, if batch is still its next: the caller then builds it.
        private bool TryClaim(int worker, long batch) =>
            Interlocked.CompareExchange(ref _claims[worker], batch + _rings.Length, batch) == batch;

        // The first batch worker w builds: the first at or after the start position that is w modulo the number of workers.
        private long FirstBatchOf(int worker)
        {
            int stride = _rings.Length;
            return _next + ((worker - _next % stride) % stride + stride) % stride;
        }

        // A batch built on the training loop's thread ahead of its turn: an error is kept with it and thrown at its turn.
        private Item BuildCapturing(long batch)
        {
            try
            {
                return Build(batch);
            }
            catch (Exception ex) when (batch != _next)
            {
                return new Item(batch, null, null, ExceptionDispatchInfo.Capture(ex));
            }
        }

        // Worker w builds batches w, w + W, w + 2W, ... so batches come out in order from the rings in turn.
        private void Work(int worker)
        {
            CancellationToken token = _cancel.Token;
            BatchRing<Item> ring = _rings[worker];
            int stride = _rings.Length;
            long k = FirstBatchOf(worker);
            bool hungry = false;
            int returns = 0;
            try
            {
                if (_loader.HintsRows)
                {
                    for (int a = 0; a < _loader.PrefetchFactor; a++)
                        Hint(k + (long)a * stride);
                }
                for (; k < _batches; k += stride)
                {
                    token.ThrowIfCancellationRequested();
                    if (_loader.HintsRows)
                        Hint(k + (long)_loader.PrefetchFactor * stride);
                    // The training loop may have claimed this batch while it waited: it builds that one itself.
                    if (!TryClaim(worker, k))
                        continue;
                    // The training loop shared the last batch's copy, so it is waiting for batches and will give back the
                    // buffer it holds as soon as it takes this one: filling that buffer again, still in the processor's
                    // cache, beats starting at once in a cold one. A loop that is busy lets the worker go on after the spin.
                    if (hungry)
                        _slots?.AwaitReturn(returns, HandOffSpin);
                    Item item = Build(k, _helps[worker]);
                    hungry = _helps[worker].LastHelped;
                    returns = _slots?.Returns ?? 0;
                    if (!ring.TryAdd(item))
                    {
                        // Abandoned: the enumeration is being disposed.
                        Discard(item);
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                // Delivered in order: the training loop sees it when it reaches batch k.
                _ = ring.TryAdd(new Item(k, null, null, ExceptionDispatchInfo.Capture(ex)));
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                // The epoch is being abandoned; nobody will read this worker's results.
            }
            finally
            {
                ring.CompleteAdding();
            }
        }

        // help: the worker's board, where a large batch's copy is posted for a waiting loop to share; null on the loop's thread.
        private Item Build(long batch, CopyHelp? help = null)
        {
            long[] rented = ArrayPool<long>.Shared.Rent(_loader.BatchSize);
            try
            {
                int length = _indices.BatchLength(batch);
                _indices.Copy(batch, rented.AsSpan(0, length));
                return Build(batch, rented.AsSpan(0, length), help);
            }
            finally
            {
                ArrayPool<long>.Shared.Return(rented);
            }
        }

        private Item Build(long batch, ReadOnlySpan<long> indices, CopyHelp? help)
        {
            // The batch is made in a scope of our own and detached from it: it belongs to the loader, not to any scope
            // the training loop may have open on this thread.
            using DisposeScope scope = torch.NewDisposeScope();
            if (_slots is not null && _loader._dataset is IBatchFill fill)
            {
                Dictionary<string, Tensor> slot = _slots.Rent();
                try
                {
                    if (!fill.TryFillBatch(indices, slot, help))
                    {
                        // A conversion was set mid-epoch: this batch is made new, by GetBatch.
                        _slots.Return(slot);
                        return BuildNew(batch, indices);
                    }
                    // The training loop gets views: disposing them (as it would any batch) leaves the slot intact.
                    int n = indices.Length;
                    var views = new Dictionary<string, Tensor>(slot.Count, StringComparer.Ordinal);
                    foreach ((string name, Tensor t) in slot)
                        views[name] = n == _loader.BatchSize ? t.alias() : t.narrow(0, 0, n);
                    foreach (Tensor t in views.Values)
                        t.DetachFromDisposeScope();
                    return new Item(batch, views, slot, null);
                }
                catch
                {
                    _slots.Return(slot);
                    throw;
                }
            }
            return BuildNew(batch, indices);
        }

        private Item BuildNew(long batch, ReadOnlySpan<long> indices)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Dictionary<string, Tensor> result = _loader._dataset.GetBatch(indices);
            if (_loader.Device.type != DeviceType.CPU)
                result = result.ToDictionary(kv => kv.Key, kv => kv.Value.to(_loader.Device), StringComparer.Ordinal);
            foreach (Tensor t in result.Values)
                t.DetachFromDisposeScope();
            return new Item(batch, result, null, null);
        }

        // Without workers, the calling thread keeps the kernel reading prefetch_factor batches ahead of the one it builds.
        private void HintAhead()
        {
            if (_next == _start)
            {
                // The batch about to be built too: its rows are then read all at once rather than one fault at a time.
                for (int a = 0; a < _loader.PrefetchFactor; a++)
                    Hint(_next + a);
            }
            Hint(_next + _loader.PrefetchFactor);
        }

        private void Hint(long batch)
        {
            if (batch >= _batches)
                return;
            long[] rented = ArrayPool<long>.Shared.Rent(_loader.BatchSize);
            try
            {
                int length = _indices.BatchLength(batch);
                _indices.Copy(batch, rented.AsSpan(0, length));
                (_loader._dataset as IPageCache)?.WillNeed(rented.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<long>.Shared.Return(rented);
            }
        }

        // The batch current when the enumeration is disposed is the caller's from then on (loader.First(), a foreach left by
        // break); its slot goes back to the pool, which will not fill it again while those views hold its memory.
        private void HandOverCurrent()
        {
            Item? current = Interlocked.Exchange(ref _current, null);
            if (current is not null && _loader.DisposeBatch)
                _slots?.Return(current.Slot);
        }

        // Atomic, so a Dispose from another thread and MoveNext cannot both dispose the same batch.
        private void ReleaseCurrent()
        {
            Item? current = Interlocked.Exchange(ref _current, null);
            if (current is not null && _loader.DisposeBatch)
                Discard(current);
        }

        private void Discard(Item item)
        {
            DisposeBatch(item.Batch);
            _slots?.Return(item.Slot);
        }

        private static void DisposeBatch(Dictionary<string, Tensor>? batch)
        {
            if (batch is null)
                return;
            foreach (Tensor t in batch.Values)
                t.Dispose();
        }

        // Slot is the reusable memory the batch's tensors view, if any; it goes back to the pool with the batch.
        private sealed record Item(long Index, Dictionary<string, Tensor>? Batch, Dictionary<string, Tensor>? Slot, ExceptionDispatchInfo? Error);
    }
}
