namespace TorchMmap.Data;

/// <summary>
/// Gives each of several replicas (processes) its own equal share of the rows, following PyTorch's
/// <c>torch.utils.data.DistributedSampler</c> index for index.
/// </summary>
/// <remarks>
/// <para>
/// Each epoch, the full order is <c>torch.randperm(length)</c> drawn from a CPU generator seeded with
/// <c>seed + epoch</c> (or <c>0 .. length - 1</c> without shuffling). Without <c>drop_last</c> the order is
/// padded to <see cref="TotalSize"/> by repeating it from its start, as many times as needed; with
/// <c>drop_last</c> it is cut to <see cref="TotalSize"/>. Replica <see cref="Rank"/> then takes every
/// <see cref="NumReplicas"/>-th index starting at position <see cref="Rank"/>. Every replica must use the
/// same length, seed and epoch so that the shares are disjoint.
/// </para>
/// <para>
/// With <c>shuffle</c> the epoch's permutation is an array of <c>8 * length</c> bytes, drawn once per epoch as PyTorch
/// draws it; without, no array is built. For datasets too large for a permutation array, <see cref="FeistelSampler"/>
/// shuffles and shares the same way without one.
/// </para>
/// </remarks>
public sealed class DistributedSampler : Sampler
{
    private readonly RandPermCache _permutations;

    /// <summary>Initializes a sampler for one replica.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <param name="num_replicas">
    /// The number of replicas; <see langword="null"/> takes the world size from the launcher's variables
    /// (<see cref="LaunchEnvironment"/>), and 1 when no launcher set them.
    /// </param>
    /// <param name="rank">
    /// This replica's rank, in [0, <paramref name="num_replicas"/>); <see langword="null"/> takes it from the launcher's
    /// variables, and 0 when no launcher set them.
    /// </param>
    /// <param name="shuffle"><see langword="true"/> to draw a new permutation every epoch.</param>
    /// <param name="seed">The seed; epoch <c>e</c> uses <c>seed + e</c>. Must be the same on every replica.</param>
    /// <param name="drop_last">
    /// <see langword="true"/> to drop the tail rows that would not divide evenly among the replicas;
    /// <see langword="false"/> to pad with repeated rows instead.
    /// </param>
    /// <exception cref="ArgumentException">The launcher variables are read and are partial, not integers, or inconsistent.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="length"/> is negative.
    /// <para>-or-</para>
    /// The number of replicas is less than 1.
    /// <para>-or-</para>
    /// The rank is negative or not less than the number of replicas.
    /// </exception>
    public DistributedSampler(long length, int? num_replicas = null, int? rank = null, bool shuffle = true, long seed = 0, bool drop_last = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        (NumReplicas, Rank) = ReplicaPartition.Resolve(num_replicas, rank);
        Length = length;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = drop_last;
        Count = ReplicaPartition.NumSamples(length, NumReplicas, drop_last);
        _permutations = new RandPermCache(length, seed);
    }

    /// <summary>Gets the number of rows in the dataset.</summary>
    public long Length { get; }

    /// <inheritdoc/>
    public override int NumReplicas { get; }

    /// <inheritdoc/>
    public override int Rank { get; }

    /// <summary>Gets a value indicating whether each epoch draws a new permutation.</summary>
    public bool Shuffle { get; }

    /// <summary>Gets the seed; epoch <c>e</c> shuffles with <c>Seed + e</c>.</summary>
    public long Seed { get; }

    /// <summary>Gets a value indicating whether uneven tail rows are dropped rather than padded.</summary>
    public override bool DropLast { get; }

    /// <summary>Gets the number of indices this replica yields per epoch: PyTorch's <c>num_samples</c>.</summary>
    public override long Count { get; }

    /// <summary>Gets the number of indices all replicas yield together per epoch: <see cref="Count"/> × <see cref="NumReplicas"/>.</summary>
    public long TotalSize => Count * NumReplicas;

    /// <inheritdoc/>
    public override long? DatasetLength => Length;

    /// <inheritdoc/>
    public override bool CanIndex => !Shuffle || Length <= Array.MaxLength;

    /// <inheritdoc/>
    public override string OrderDescription =>
        FormattableString.Invariant($"DistributedSampler(length={Length}, shuffle={(Shuffle ? "True" : "False")}, seed={Seed}, drop_last={(DropLast ? "True" : "False")})");

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => Shuffle ? ((IEnumerable<long>)GetIndices()).GetEnumerator() : EnumerateShare();

    /// <inheritdoc/>
    protected override void CopyOrderCore(long epoch, long start, long stride, Span<long> destination)
    {
        if (Shuffle)
        {
            TorchPermutation.CopyStrided(_permutations.Get(epoch), start, stride, destination);
            return;
        }

        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = start + (j * stride);
        }
    }
}
