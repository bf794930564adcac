namespace TorchMmap.Data;

/// <summary>Yields a new random permutation of all rows every epoch.</summary>
/// <remarks>
/// Epoch <c>e</c> yields <c>torch.randperm(length)</c> drawn from a CPU generator seeded with <c>seed + e</c>:
/// exactly the order of PyTorch's <c>DistributedSampler(dataset, num_replicas=1, rank=0, shuffle=True, seed=seed)</c>
/// after <c>set_epoch(e)</c>, so a single-process run reproduces a PyTorch run. (PyTorch's own
/// <c>RandomSampler</c> draws from the global generator and cannot be reproduced per epoch.)
/// The permutation is an array of <c>8 * length</c> bytes, drawn once per epoch as PyTorch draws it; for datasets
/// too large for that, <see cref="FeistelSampler"/> shuffles without any array.
/// </remarks>
public sealed class RandomSampler : Sampler
{
    private readonly RandPermCache _permutations;

    /// <summary>Initializes a sampler that shuffles the rows <c>0</c> to <paramref name="length"/> - 1.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <param name="seed">The seed; epoch <c>e</c> uses <c>seed + e</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public RandomSampler(long length, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        Seed = seed;
        _permutations = new RandPermCache(length, seed);
    }

    /// <summary>Gets the number of rows in the dataset.</summary>
    public long Length { get; }

    /// <summary>Gets the seed; epoch <c>e</c> shuffles with <c>Seed + e</c>.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public override long Count => Length;

    /// <inheritdoc/>
    public override long? DatasetLength => Length;

    /// <inheritdoc/>
    public override bool CanIndex => Length <= Array.MaxLength;

    /// <inheritdoc/>
    public override string OrderDescription => FormattableString.Invariant($"RandomSampler(length={Length}, seed={Seed})");

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => ((IEnumerable<long>)GetIndices()).GetEnumerator();

    /// <inheritdoc/>
    public override long[] GetIndices()
    {
        ThrowIfTooLargeForArray(Length);
        return Length == 0 ? [] : (long[])_permutations.Get(Epoch).Clone();
    }

    /// <inheritdoc/>
    protected override void CopyOrderCore(long epoch, long start, long stride, Span<long> destination) =>
        TorchPermutation.CopyStrided(_permutations.Get(epoch), start, stride, destination);
}
