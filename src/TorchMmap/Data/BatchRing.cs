using System.Diagnostics;
using TorchMmap.Internal;

namespace TorchMmap.Data;

/// <summary>
/// The bounded queue of finished batches between one loader worker (the producer) and the training loop (the consumer),
/// made for a cheap hand-off: putting or taking a batch is a few memory operations, and a thread is woken only when the
/// other side actually sleeps. A consumer sleeps only on an empty ring and is woken by the first item, since it then waits
/// for that one batch (the loader's consumer builds batches itself rather than wait long). A producer that found the ring
/// full sleeps until half of it is free, so a training loop slower than its loader wakes it once per half ring instead
/// of once per batch.
/// </summary>
/// <remarks>
/// One thread adds (<see cref="TryAdd"/>, <see cref="CompleteAdding"/>); takes are atomic, so besides the consumer the
/// ring's owner may empty it with <see cref="TryTakeNow"/> (after the producer has stopped) while a consumer still runs.
/// <see cref="Abandon"/> stops both sides: waits return, and nothing more is added.
/// </remarks>
internal sealed class BatchRing<T>
    where T : class
{
    private readonly T?[] _items;
    private readonly int _half;   // free places that wake a sleeping producer
    private readonly object _gate = new();
    private long _head;             // the next position to take; advanced by compare-and-swap
    private long _tail;             // the next position to fill; written by the producer only
    private int _consumerSleeps;    // 1 while the consumer waits for items (or is about to)
    private int _producerSleeps;    // 1 while the producer waits for room (or is about to)
    private volatile bool _completed;
    private volatile bool _abandoned;

    /// <param name="capacity">Items the ring holds at most (at least 1).</param>
    public BatchRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _items = new T?[capacity];
        // A producer sleeps only on a full ring and a consumer only on an empty one, so the two never both sleep.
        _half = (capacity + 1) / 2;
    }

    /// <summary>Items the ring holds at most.</summary>
    public int Capacity => _items.Length;

    /// <summary>Items ready now.</summary>
    public int Count => (int)(Volatile.Read(ref _tail) - Volatile.Read(ref _head));

    /// <summary>Whether the producer has said it adds no more.</summary>
    public bool IsAddingCompleted => _completed;

    /// <summary>Adds <paramref name="item"/>, first waiting for room while the ring is full. Producer only.</summary>
    /// <returns>False, with the item not added, when the ring has been abandoned.</returns>
    /// <exception cref="InvalidOperationException">Adding was completed.</exception>
    public bool TryAdd(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_completed)
            throw new InvalidOperationException(Messages.BatchRingCompleted);
        long tail = _tail;
        if (tail - Volatile.Read(ref _head) >= _items.Length && !WaitForRoom(tail))
            return false;
        if (_abandoned)
            return false;
        _items[tail % _items.Length] = item;
        // The item is written before the position that publishes it; the fence then orders that write before the read of
        // the consumer's flag (the consumer sets its flag, then reads the tail: one of the two sees the other).
        Volatile.Write(ref _tail, tail + 1);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _consumerSleeps) != 0)
            Wake();
        return true;
    }

    /// <summary>Says the producer adds no more: a consumer waiting for items gets the rest and then false.</summary>
    public void CompleteAdding()
    {
        _completed = true;
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _consumerSleeps) != 0)
            Wake();
    }

    /// <summary>Stops both sides: a waiting <see cref="TryAdd"/> returns false, a waiting <see cref="TryTake"/> returns what is
    /// ready or false, and nothing more is added. Any thread may call it.</summary>
    public void Abandon()
    {
        _abandoned = true;
        Wake();
    }

    /// <summary>Takes the oldest item, waiting while the ring is empty and the producer may still add. Consumer only.</summary>
    /// <returns>False when the ring is empty and either completed or abandoned.</returns>
    public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? item)
    {
        while (true)
        {
            if (TryTakeNow(out item))
                return true;
            if (!WaitForItems())
                return TryTakeNow(out item);
        }
    }

    /// <summary>Takes the oldest item if one is ready, without waiting. Safe alongside a consumer.</summary>
    /// <returns>False when the ring is empty.</returns>
    public bool TryTakeNow([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? item)
    {
        while (true)
        {
            long head = Volatile.Read(ref _head);
            if (Volatile.Read(ref _tail) == head)
            {
                item = null;
                return false;
            }
            // The slot is not cleared: the producer refills it only once the head has passed it, and whoever moves the head
            // past it owns the item read before.
            item = _items[head % _items.Length];
            if (Interlocked.CompareExchange(ref _head, head + 1, head) != head)
                continue;
            Debug.Assert(item is not null);
            // The swap is a full fence, so the producer's flag is read after the head moved.
            if (Volatile.Read(ref _producerSleeps) != 0 && _items.Length - (Volatile.Read(ref _tail) - (head + 1)) >= _half)
                Wake();
            return true;
        }
    }

    // Sleeps until an item is ready, the producer is done or the ring is abandoned; false for the last two.
    private bool WaitForItems()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _consumerSleeps, 1);
            try
            {
                while (true)
                {
                    bool done = _completed || _abandoned;
                    if (Volatile.Read(ref _tail) != Volatile.Read(ref _head))
                        return true;
                    if (done)
                        return false;
                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                Volatile.Write(ref _consumerSleeps, 0);
            }
        }
    }

    // Sleeps until half the ring is free or it is abandoned; false when abandoned.
    private bool WaitForRoom(long tail)
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _producerSleeps, 1);
            try
            {
                while (true)
                {
                    if (_abandoned)
                        return false;
                    if (_items.Length - (tail - Volatile.Read(ref _head)) >= _half)
                        return true;
                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                Volatile.Write(ref _producerSleeps, 0);
            }
        }
    }

    private void Wake()
    {
        lock (_gate)
            Monitor.PulseAll(_gate);
    }
}
