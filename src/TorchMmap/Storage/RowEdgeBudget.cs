using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// The memory the row-edge caches (<see cref="RowEdgeCache"/>) of a process take together. Each cache reserves its share
/// when its array's first direct read creates it and gives it back when the array is disposed, so the shards of a dataset,
/// each larger than memory, cannot together keep more than this.
/// </summary>
/// <remarks>Thread safe.</remarks>
internal sealed class RowEdgeBudget(long bytes)
{
    /// <summary>The share of the memory budget edges may take.</summary>
    private const int BudgetShare = 8;

    private long _free = bytes;

    /// <summary>The process's budget: an eighth of the memory it may use.</summary>
    public static RowEdgeBudget Shared { get; } = new(MemoryBudget.Bytes / BudgetShare);

    /// <summary>The bytes not reserved.</summary>
    public long Free => Volatile.Read(ref _free);

    /// <summary>Reserves up to <paramref name="wanted"/> bytes in whole units of <paramref name="unit"/> bytes.</summary>
    /// <returns>The bytes reserved: 0 when not one unit is left.</returns>
    public long Reserve(long wanted, long unit)
    {
        while (true)
        {
            long free = Volatile.Read(ref _free);
            long granted = Math.Min(wanted, free) / unit * unit;
            if (granted <= 0)
                return 0;
            if (Interlocked.CompareExchange(ref _free, free - granted, free) == free)
                return granted;
        }
    }

    /// <summary>Gives back bytes <see cref="Reserve"/> granted.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _free, bytes);
}
