namespace TorchMmap.Data;

/// <summary>
/// Shuffles any number of rows without an index array, shared among replicas as PyTorch's <c>DistributedSampler</c>
/// shares its order: the sampler for datasets whose permutation would not fit in memory (10^10 rows would need 80 GB
/// as a <c>randperm</c> array; this sampler needs a few hundred bytes).
/// </summary>
/// <remarks>
/// <para>
/// Epoch <c>e</c>'s global order is a keyed pseudo-random permutation of <c>[0, length)</c> selected by
/// <c>seed + e</c> (so, as in PyTorch, seed 0 in epoch 1 equals seed 1 in epoch 0): a Feistel network with cycle
/// walking, so the row at any position costs a few hash rounds and nothing is precomputed. An epoch starts in
/// constant time at any position, which is what makes resuming instant.
/// </para>
/// <para>
/// Sharing follows <c>DistributedSampler</c> exactly, on this order instead of <c>randperm</c>'s: without
/// <c>drop_last</c> the order is padded to <see cref="TotalSize"/> by repeating it from its start, with <c>drop_last</c>
/// it is cut to <see cref="TotalSize"/>, and replica <see cref="Rank"/> takes every <see cref="NumReplicas"/>-th
/// position starting at <see cref="Rank"/>.
/// </para>
/// <para>
/// The orders are stable across platforms and .NET versions, but they are not PyTorch's: to compare with a Python
/// run, use <see cref="RandomSampler"/> or <see cref="DistributedSampler"/>.
/// </para>
/// </remarks>
public sealed class FeistelSampler : Sampler
{
    /// <summary>Initializes a sampler for one replica.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <param name="seed">The seed; epoch <c>e</c> uses <c>seed + e</c>. Must be the same on every replica.</param>
    /// <param name="num_replicas">
    /// The number of replicas; <see langword="null"/> takes the world size from the launcher's variables
    /// (<see cref="LaunchEnvironment"/>), and 1 when no launcher set them.
    /// </param>
    /// <param name="rank">
    /// This replica's rank, in [0, <paramref name="num_replicas"/>); <see langword="null"/> takes it from the launcher's
    /// variables, and 0 when no launcher set them.
    /// </param>
    /// <param name="drop_last">
    /// <see langword="true"/> to drop the tail of the order that would not divide evenly among the replicas;
    /// <see langword="false"/> to pad with repeated rows instead.
    /// </param>
    /// <exception cref="ArgumentException">The launcher variables are read and are partial, not integers, or inconsistent.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="length"/> is negative.
    /// <para>-or-</para>
    /// The number of replicas is less than 1, or the rank is negative or not less than the number of replicas.
    /// </exception>
    public FeistelSampler(long length, long seed = 0, int? num_replicas = null, int? rank = null, bool drop_last = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        (NumReplicas, Rank) = ReplicaPartition.Resolve(num_replicas, rank);
        Length = length;
        Seed = seed;
        DropLast = drop_last;
        Count = ReplicaPartition.NumSamples(length, NumReplicas, drop_last);
    }

    /// <summary>Gets the number of rows in the dataset.</summary>
    public long Length { get; }

    /// <summary>Gets the seed; epoch <c>e</c> shuffles with <c>Seed + e</c>.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public override int NumReplicas { get; }

    /// <inheritdoc/>
    public override int Rank { get; }

    /// <summary>Gets a value indicating whether the uneven tail is dropped rather than padded.</summary>
    public override bool DropLast { get; }

    /// <summary>Gets the number of indices this replica yields per epoch, as <c>DistributedSampler</c>'s <c>num_samples</c>.</summary>
    public override long Count { get; }

    /// <summary>Gets the number of indices all replicas yield together per epoch: <see cref="Count"/> × <see cref="NumReplicas"/>.</summary>
    public long TotalSize => Count * NumReplicas;

    /// <inheritdoc/>
    public override long? DatasetLength => Length;

    /// <inheritdoc/>
    public override bool CanIndex => true;

    /// <inheritdoc/>
    public override string OrderDescription =>
        FormattableString.Invariant($"FeistelSampler(length={Length}, seed={Seed}, drop_last={(DropLast ? "True" : "False")})");

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => EnumerateShare();

    /// <summary>Returns the permutation of epoch <paramref name="epoch"/>'s order, for tests of its bijectivity.</summary>
    internal FeistelPermutation PermutationOf(long epoch) => new((ulong)Length, SplitMix64.StreamKey(unchecked((ulong)(Seed + epoch)), 0));

    /// <inheritdoc/>
    protected override void CopyOrderCore(long epoch, long start, long stride, Span<long> destination)
    {
        FeistelPermutation permutation = PermutationOf(epoch);
        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = (long)permutation[(ulong)(start + (j * stride))];
        }
    }
}
