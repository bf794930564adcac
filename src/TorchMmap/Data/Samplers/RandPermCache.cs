namespace TorchMmap.Data;

/// <summary>
/// The last epoch's <c>torch.randperm</c> of the samplers whose order PyTorch defines by one: drawn once per epoch,
/// then read by any number of threads.
/// </summary>
internal sealed class RandPermCache(long length, long seed)
{
    private readonly object _drawing = new();
    private Entry? _last;

    /// <summary>Returns epoch <paramref name="epoch"/>'s permutation (seeded with <c>seed + epoch</c>); callers must not modify it.</summary>
    internal long[] Get(long epoch)
    {
        Entry? last = Volatile.Read(ref _last);
        if (last is not null && last.Epoch == epoch)
        {
            return last.Order;
        }

        // One draw per epoch even when several workers ask at once; the published entry is never modified.
        lock (_drawing)
        {
            last = _last;
            if (last is null || last.Epoch != epoch)
            {
                last = new Entry(epoch, TorchPermutation.RandPerm(length, unchecked(seed + epoch)));
                Volatile.Write(ref _last, last);
            }

            return last.Order;
        }
    }

    private sealed record Entry(long Epoch, long[] Order);
}
