namespace TorchMmap.Data;

/// <summary>
/// Yields the orders of PyTorch's <c>DataLoader(dataset, shuffle=True, generator=torch.Generator().manual_seed(seed))</c>,
/// epoch after epoch: epoch <c>e</c> is the order PyTorch's loader yields in its <c>e</c>-th full pass (from 0).
/// </summary>
/// <remarks>
/// <para>
/// PyTorch's loader draws from one generator for the whole run: each pass first draws the workers' base seed
/// (<c>torch.empty((), dtype=torch.int64).random_(generator=g)</c>), then its <c>RandomSampler</c> draws
/// <c>torch.randperm(n, generator=g)</c> for the pass and, when the pass runs to its end, one more <c>randperm</c> whose
/// first <c>0</c> elements it yields. This sampler replays that stream (libtorch's Mersenne Twister and its
/// <c>randperm</c>, as the libtorch TorchSharp ships runs it), so it needs no earlier passes to compute a later one. It
/// matches PyTorch 1.13 (checked by the tests against <c>/usr/bin/python3</c>) below 214,748,364 samples, from where
/// PyTorch 2.x draws 64 bits per position and this sampler follows 2.x.
/// A pass left early in PyTorch skips the trailing <c>randperm</c> and shifts every later pass; here every epoch is a full one.
/// </para>
/// <para>
/// <see cref="RandomSampler"/> (what the loader's <c>shuffle: true</c> uses) gives instead the order of
/// <c>DistributedSampler(num_replicas=1, shuffle=True, seed=seed)</c> after <c>set_epoch(e)</c>: a fresh generator seeded
/// <c>seed + e</c> per epoch.
/// </para>
/// </remarks>
public sealed class GeneratorRandomSampler : Sampler
{
    private readonly object _drawing = new();
    private Entry? _last;

    /// <summary>Initializes a sampler that shuffles the rows <c>0</c> to <paramref name="length"/> - 1.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <param name="seed">The seed of the loader's generator (<c>torch.Generator().manual_seed(seed)</c>); negative values wrap to 64-bit unsigned, as in PyTorch.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or more than a .NET array holds.</exception>
    public GeneratorRandomSampler(long length, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength);
        Length = length;
        Seed = seed;
    }

    /// <summary>The number of rows in the dataset.</summary>
    public long Length { get; }

    /// <summary>The generator's seed.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public override long Count => Length;

    /// <inheritdoc/>
    public override long? DatasetLength => Length;

    /// <inheritdoc/>
    public override bool CanIndex => true;

    /// <inheritdoc/>
    public override string OrderDescription => FormattableString.Invariant($"GeneratorRandomSampler(length={Length}, seed={Seed})");

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => ((IEnumerable<long>)GetIndices()).GetEnumerator();

    /// <inheritdoc/>
    public override long[] GetIndices() => (long[])Order(Epoch).Clone();

    /// <inheritdoc/>
    protected override void CopyOrderCore(long epoch, long start, long stride, Span<long> destination) =>
        TorchPermutation.CopyStrided(Order(epoch), start, stride, destination);

    // 32-bit draws one full pass takes from the generator: the base seed (one 64-bit draw), the pass's randperm and the
    // trailing one.
    private long DrawsPerEpoch => 2 + (2 * TorchPermutation.Draws(Length));

    // Epoch e's order; the generator's state after the last epoch drawn is kept, so consecutive epochs cost one pass each.
    private long[] Order(long epoch)
    {
        Entry? last = Volatile.Read(ref _last);
        if (last is not null && last.Epoch == epoch)
            return last.Order;
        lock (_drawing)
        {
            last = _last;
            if (last is not null && last.Epoch == epoch)
                return last.Order;
            Mt19937 generator;
            long skip;
            if (last is not null && last.Epoch < epoch)
            {
                generator = last.After.Clone();
                skip = epoch - last.Epoch - 1;
            }
            else
            {
                generator = new Mt19937(unchecked((ulong)Seed));
                skip = epoch;
            }
            for (long e = 0; e < skip; e++)
                generator.Discard(DrawsPerEpoch);
            generator.Discard(2);
            long[] order = TorchPermutation.RandPerm(generator, Length);
            generator.Discard(TorchPermutation.Draws(Length));
            last = new Entry(epoch, order, generator);
            Volatile.Write(ref _last, last);
            return order;
        }
    }

    private sealed record Entry(long Epoch, long[] Order, Mt19937 After);
}
