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
    private readonly object _lock = new();
    private bool _disposed;

    /// <param name="batchSize">Rows per slot.</param>
    /// <param name="layout">Name, sample shape and element type of each tensor.</param>
    /// <param name="capacity">Free slots kept at most: the number of batches that can be in flight at once.</param>
    public BatchSlotPool(int batchSize, (string Name, long[] SampleShape, ScalarType Type)[] layout, int capacity)
    {
        _batchSize = batchSize;
        _layout = layout;
        _capacity = capacity;
    }

    /// <summary>Whether this pool's slots fit batches of <paramref name="layout"/>.</summary>
    public bool Fits(int batchSize, (string Name, long[] SampleShape, ScalarType Type)[] layout) =>
        batchSize == _batchSize && layout.Length == _layout.Length &&
        layout.Zip(_layout).All(p => p.First.Name == p.Second.Name && p.First.Type == p.Second.Type && p.First.SampleShape.AsSpan().SequenceEqual(p.Second.SampleShape));

    /// <summary>A free slot that nothing else holds, or a new one. The last slot returned is taken first, while its memory
    /// is still in the processor's caches.</summary>
    public Dictionary<string, Tensor> Rent()
    {
        List<Dictionary<string, Tensor>>? shared = null;
        try
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                while (_free.TryPop(out Dictionary<string, Tensor>? slot))
                {
                    // A view the training loop kept (narrow, to(CPU), a graph's saved input) still reads this memory: the
                    // slot is left to it and never written again.
                    if (slot.Values.All(StorageSharing.IsSoleOwner))
                        return slot;
                    (shared ??= []).Add(slot);
                }
            }
        }
        finally
        {
            if (shared is not null)
            {
                foreach (Dictionary<string, Tensor> slot in shared)
                    Dispose(slot);
            }
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
                return;
            }
        }
        Dispose(slot);
    }

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
        }
    }

    private static void Dispose(Dictionary<string, Tensor> slot)
    {
        foreach (Tensor t in slot.Values)
            t.Dispose();
    }
}
