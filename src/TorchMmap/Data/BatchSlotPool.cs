using System.Diagnostics;
using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// Reusable batch memory for a loader that owns its batches (<c>disposeBatch</c>): a slot is one full-size CPU tensor per
/// name. The loader fills a free slot, hands the training loop views of it, and takes the slot back when the next batch is
/// taken, so steady-state batches allocate nothing and touch no fresh pages. A slot is filled again only when nothing but
/// the pool holds its memory (<see cref="StorageSharing"/>): a view kept past its batch keeps its rows.
/// </summary>
internal sealed class BatchSlotPool : IDisposable
{
    private readonly Stack<Dictionary<string, Tensor>> _free = new();
    private readonly (string Name, long[] SampleShape, ScalarType Type)[] _layout;
    private readonly int _batchSize;
    private readonly int _capacity;
    private readonly List<Dictionary<string, Tensor>> _held = [];   // returned slots something else still views
    private readonly object _lock = new();
    private int _collectAt;
    private int _returns;   // slots pushed back on _free; a worker waiting for the training loop's slot watches it
    private bool _disposed;

    /// <param name="batchSize">Rows per slot.</param>
    /// <param name="layout">Name, sample shape and element type of each tensor.</param>
    /// <param name="capacity">Free slots kept at most: the number of batches that can be in flight at once.</param>
    public BatchSlotPool(int batchSize, (string Name, long[] SampleShape, ScalarType Type)[] layout, int capacity)
    {
        _batchSize = batchSize;
        _layout = layout;
        _capacity = capacity;
        _collectAt = capacity;
    }

    /// <summary>Whether this pool's slots fit batches of <paramref name="layout"/>.</summary>
    public bool Fits(int batchSize, (string Name, long[] SampleShape, ScalarType Type)[] layout) =>
        batchSize == _batchSize && layout.Length == _layout.Length &&
        layout.Zip(_layout).All(p => p.First.Name == p.Second.Name && p.First.Type == p.Second.Type && p.First.SampleShape.AsSpan().SequenceEqual(p.Second.SampleShape));

    /// <summary>A free slot that nothing else holds, or a new one. The last slot returned is taken first, while its memory
    /// is still in the processor's caches.</summary>
    public Dictionary<string, Tensor> Rent()
    {
        if (TryTake(out Dictionary<string, Tensor>? slot))
            return slot;
        // Every returned slot is still viewed. Views dropped without Dispose (no dispose scope around a step) let go of a
        // slot only when their finalizers run, which the GC, blind to native memory, may not do for a long time: once as
        // many slots are held as the ring has, collect, so the ring stays bounded with such code too. Views kept on purpose
        // survive the collection; their slots are then left to them, and collecting waits until twice as many are held.
        bool collect;
        lock (_lock)
            collect = _held.Count >= _collectAt;
        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            bool recovered = TryTake(out slot);
            List<Dictionary<string, Tensor>> kept;
            lock (_lock)
            {
                _collectAt = recovered ? _capacity : _collectAt * 2;
                kept = recovered ? [] : [.. _held];
                if (!recovered)
                    _held.Clear();
            }
            foreach (Dictionary<string, Tensor> k in kept)
                Dispose(k);
            if (recovered)
                return slot!;
        }
        var created = new Dictionary<string, Tensor>(_layout.Length, StringComparer.Ordinal);
        try
        {
            foreach ((string name, long[] sampleShape, ScalarType type) in _layout)
            {
                Tensor t = torch.empty([_batchSize, .. sampleShape], dtype: type, device: CPU);
                // The slot lives as long as the pool, whatever scope the thread has open.
                t.DetachFromDisposeScope();
                created[name] = t;
            }
            return created;
        }
        catch
        {
            Dispose(created);
            throw;
        }
    }

    // A free or held slot that nothing else holds now; free slots found still viewed join the held ones.
    private bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Dictionary<string, Tensor>? slot)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (_free.TryPop(out slot))
            {
                // A view the training loop kept (narrow, to(CPU), a graph's saved input) still reads this memory: the
                // slot is not filled again while it does.
                if (slot.Values.All(StorageSharing.IsSoleOwner))
                    return true;
                _held.Add(slot);
            }
            for (int i = _held.Count - 1; i >= 0; i--)
            {
                slot = _held[i];
                if (slot.Values.All(StorageSharing.IsSoleOwner))
                {
                    _held.RemoveAt(i);
                    return true;
                }
            }
            slot = null;
            return false;
        }
    }

    /// <summary>Takes a slot back once nothing handed out views it any more; a slot beyond capacity, or one the caller
    /// disposed a tensor of, is freed instead.</summary>
    public void Return(Dictionary<string, Tensor>? slot)
    {
        if (slot is null)
            return;
        lock (_lock)
        {
            if (!_disposed && _free.Count < _capacity && slot.Values.All(t => !t.IsInvalid))
            {
                _free.Push(slot);
                Volatile.Write(ref _returns, _returns + 1);
                return;
            }
        }
        Dispose(slot);
    }

    /// <summary>Slots taken back into the free ones so far.</summary>
    public int Returns => Volatile.Read(ref _returns);

    /// <summary>Spins until a slot is taken back after the first <paramref name="seen"/> ones, for at most
    /// <paramref name="ticks"/> (<see cref="Stopwatch"/> ticks).</summary>
    public void AwaitReturn(int seen, long ticks) => BoundedSpin.Until(() => Returns != seen, ticks);

    /// <summary>Frees every free slot; slots still out are freed when returned.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            while (_free.TryPop(out Dictionary<string, Tensor>? slot))
                Dispose(slot);
            foreach (Dictionary<string, Tensor> slot in _held)
                Dispose(slot);
            _held.Clear();
        }
    }

    private static void Dispose(Dictionary<string, Tensor> slot)
    {
        foreach (Tensor t in slot.Values)
            t.Dispose();
    }
}
