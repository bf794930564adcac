namespace TorchMmap.Data;

/// <summary>
/// Draws sample indices with replacement as <c>torch.randint(high, (n,), generator=g)</c> with <c>g</c> a CPU generator seeded
/// once with the seed: nanoGPT's <c>get_batch</c> order. Over a <see cref="TokenWindowDataset"/> with stride 1 (whose
/// <c>Count</c> is <c>len(data) - block_size</c>), a loader with batch size B gives, batch after batch, exactly the
/// <c>(x, y)</c> that successive calls of nanoGPT's <c>get_batch</c> give after <c>torch.manual_seed(seed)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The draws form one stream across epochs: epoch <c>e</c> yields draws <c>[e * Count, (e + 1) * Count)</c>, so epochs are
/// just chunks of nanoGPT's endless sequence of batches, and a loader resumed from <c>state_dict</c> continues it exactly.
/// Choose <see cref="Count"/> as a multiple of the batch size for batches to line up with <c>get_batch</c> calls.
/// </para>
/// <para>
/// nanoGPT's <c>train.py</c> draws from the global generator, which model initialisation and evaluation batches also use;
/// this sampler reproduces the batch sequence of a generator used only by <c>get_batch</c> (as a script that seeds and then
/// calls <c>get_batch</c> in a loop sees it). Draws follow PyTorch's CPU kernel: one 32-bit Mersenne Twister output modulo
/// <c>high</c> per index when <c>high</c> is below 2^32, a 64-bit output otherwise.
/// </para>
/// <para>An epoch's indices take <c>8 * Count</c> bytes; keep <see cref="Count"/> to what a few thousand batches need.</para>
/// </remarks>
public sealed class RandIntSampler : Sampler
{
    private readonly object _lock = new();
    private Mt19937? _cached;      // the generator positioned at the start of epoch _cachedEpoch
    private long _cachedEpoch = -1;

    /// <summary>Initializes a sampler of indices in [0, <paramref name="high"/>).</summary>
    /// <param name="high">The exclusive upper bound: the dataset's length (for nanoGPT, <c>len(data) - block_size</c>).</param>
    /// <param name="num_samples">Indices per epoch.</param>
    /// <param name="seed">The generator's seed, as <c>torch.manual_seed(seed)</c> (negative values wrap to 64-bit unsigned).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="high"/> is not positive, or <paramref name="num_samples"/> is negative.</exception>
    public RandIntSampler(long high, long num_samples, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(high);
        ArgumentOutOfRangeException.ThrowIfNegative(num_samples);
        Length = high;
        NumSamples = num_samples;
        Seed = seed;
    }

    /// <summary>Gets the exclusive upper bound of the indices: the dataset's length.</summary>
    public long Length { get; }

    /// <summary>Gets the number of indices per epoch.</summary>
    public long NumSamples { get; }

    /// <summary>Gets the generator's seed.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public override long Count => NumSamples;

    /// <inheritdoc/>
    public override long? DatasetLength => Length;

    /// <inheritdoc/>
    public override string OrderDescription =>
        FormattableString.Invariant($"RandIntSampler(high={Length}, num_samples={NumSamples}, seed={Seed})");

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => ((IEnumerable<long>)GetIndices()).GetEnumerator();

    /// <inheritdoc/>
    public override long[] GetIndices()
    {
        ThrowIfTooLargeForArray(NumSamples);
        long epoch = Epoch;
        Mt19937 generator;
        lock (_lock)
        {
            // Consecutive epochs continue from the cached position; any other epoch is reached by skipping draws.
            if (_cached is not null && _cachedEpoch == epoch)
            {
                generator = _cached.Clone();
            }
            else
            {
                generator = new Mt19937(unchecked((ulong)Seed));
                generator.Discard(checked(epoch * NumSamples * DrawsPerIndex));
            }
        }
        var indices = new long[NumSamples];
        ulong high = (ulong)Length;
        if (DrawsPerIndex == 1)
        {
            for (long i = 0; i < indices.LongLength; i++)
                indices[i] = (long)(generator.NextUInt32() % high);
        }
        else
        {
            for (long i = 0; i < indices.LongLength; i++)
                indices[i] = (long)(generator.NextUInt64() % high);
        }
        lock (_lock)
        {
            _cached = generator;
            _cachedEpoch = epoch + 1;
        }
        return indices;
    }

    // PyTorch draws one 32-bit output per index for ranges below 2^32, two above.
    private int DrawsPerIndex => (ulong)Length >= 1UL << 32 ? 2 : 1;
}
