namespace TorchMmap.Data;

/// <summary>
/// Shuffles rows in a page-cache-friendly way for datasets larger than RAM: whole blocks of consecutive rows
/// are shuffled, then rows are shuffled only within small windows of blocks. Any number of rows, no index array.
/// </summary>
/// <remarks>
/// <para>
/// Each epoch:
/// </para>
/// <list type="number">
/// <item><description>
/// The rows <c>0 .. length - 1</c> are split into blocks of <see cref="BlockRows"/> consecutive rows (the last
/// block may be shorter), and the block order is shuffled.
/// </description></item>
/// <item><description>
/// The shuffled block order is cut into windows of <see cref="WindowBlocks"/> blocks, and the rows of each window
/// are shuffled together. Concatenating the windows gives the epoch's global order, a permutation of all rows.
/// </description></item>
/// </list>
/// <para>
/// While a window is consumed, only its <see cref="WindowBlocks"/> blocks are touched, so the mapped file is read
/// a few megabytes at a time instead of one page per row, yet each batch mixes rows from
/// <see cref="WindowBlocks"/> places in the file. Larger windows mix better and need more page cache.
/// </para>
/// <para>
/// Both shuffles are keyed pseudo-random permutations (Feistel networks with cycle walking, as in
/// <see cref="FeistelSampler"/>) selected by <c>seed + epoch</c> (so, as in PyTorch, seed 0 in epoch 1 equals seed 1 in
/// epoch 0): the row at any position of the order costs a few hash rounds, so the sampler holds no array and starts
/// an epoch in constant time at any position, whatever the number of rows or blocks. The orders are stable across
/// platforms and .NET versions, but they are not PyTorch's.
/// </para>
/// <para>
/// With several replicas, the global order is shared exactly as PyTorch's <c>DistributedSampler</c> shares its
/// permutation: without <c>drop_last</c> it is padded to <see cref="TotalSize"/> by repeating it from its start, with
/// <c>drop_last</c> it is cut to <see cref="TotalSize"/>, and replica <see cref="Rank"/> takes every
/// <see cref="NumReplicas"/>-th position starting at <see cref="Rank"/>. The replicas therefore read the same window at
/// the same time: on one machine the window is read from disk once for all of them.
/// </para>
/// </remarks>
public sealed class BlockShuffleSampler : Sampler
{
    /// <summary>The default block size for <see cref="ForRowBytes"/>: 8 MiB.</summary>
    public const long DefaultBlockBytes = 8L * 1024 * 1024;

    /// <summary>The default number of blocks whose rows are shuffled together.</summary>
    public const int DefaultWindowBlocks = 8;

    // The last block is short by this many rows (0 when blockRows divides length).
    private readonly long _shortfall;

    /// <summary>Initializes a sampler with blocks of <paramref name="blockRows"/> rows.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <param name="blockRows">The number of consecutive rows in a block; the last block may be shorter.</param>
    /// <param name="windowBlocks">The number of shuffled blocks whose rows are shuffled together.</param>
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
    /// <see langword="true"/> to drop the tail of the global order that would not divide evenly among the replicas;
    /// <see langword="false"/> to pad with repeated rows instead.
    /// </param>
    /// <exception cref="ArgumentException">The launcher variables are read and are partial, not integers, or inconsistent.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="length"/> is negative.
    /// <para>-or-</para>
    /// <paramref name="blockRows"/> or <paramref name="windowBlocks"/> is less than 1.
    /// <para>-or-</para>
    /// The number of replicas is less than 1, or the rank is negative or not less than the number of replicas.
    /// </exception>
    public BlockShuffleSampler(long length, long blockRows, int windowBlocks = DefaultWindowBlocks, long seed = 0, int? num_replicas = null, int? rank = null, bool drop_last = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowBlocks);

        (NumReplicas, Rank) = ReplicaPartition.Resolve(num_replicas, rank);
        Length = length;
        BlockRows = blockRows;
        WindowBlocks = windowBlocks;
        BlockCount = (length / blockRows) + (length % blockRows == 0 ? 0 : 1);
        _shortfall = length % blockRows == 0 ? 0 : blockRows - (length % blockRows);
        Seed = seed;
        DropLast = drop_last;
        Count = ReplicaPartition.NumSamples(length, NumReplicas, drop_last);
    }

    /// <summary>Initializes a sampler whose blocks span about <paramref name="blockBytes"/> bytes of rows.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <param name="rowBytes">The size of one row in bytes, for example the item size times the row's element count.</param>
    /// <param name="blockBytes">
    /// The target block size in bytes; a block holds <c>max(1, blockBytes / rowBytes)</c> rows. A multiple of the
    /// page size suits the page cache best.
    /// </param>
    /// <param name="windowBlocks">The number of shuffled blocks whose rows are shuffled together.</param>
    /// <param name="seed">The seed; epoch <c>e</c> uses <c>seed + e</c>. Must be the same on every replica.</param>
    /// <param name="num_replicas">The number of replicas; <see langword="null"/> takes it from the launcher's variables (1 without).</param>
    /// <param name="rank">This replica's rank; <see langword="null"/> takes it from the launcher's variables (0 without).</param>
    /// <param name="drop_last"><see langword="true"/> to drop the uneven tail rather than pad.</param>
    /// <returns>A new sampler.</returns>
    /// <exception cref="ArgumentException">The launcher variables are read and are partial, not integers, or inconsistent.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="length"/> is negative.
    /// <para>-or-</para>
    /// <paramref name="rowBytes"/>, <paramref name="blockBytes"/> or <paramref name="windowBlocks"/> is less than 1.
    /// <para>-or-</para>
    /// The number of replicas is less than 1, or the rank is negative or not less than the number of replicas.
    /// </exception>
    public static BlockShuffleSampler ForRowBytes(long length, long rowBytes, long blockBytes = DefaultBlockBytes, int windowBlocks = DefaultWindowBlocks, long seed = 0, int? num_replicas = null, int? rank = null, bool drop_last = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockBytes);
        return new BlockShuffleSampler(length, Math.Max(1, blockBytes / rowBytes), windowBlocks, seed, num_replicas, rank, drop_last);
    }

    /// <summary>Gets the number of rows in the dataset.</summary>
    public long Length { get; }

    /// <summary>Gets the number of consecutive rows in a block; the last block may be shorter.</summary>
    public long BlockRows { get; }

    /// <summary>Gets the number of shuffled blocks whose rows are shuffled together.</summary>
    public int WindowBlocks { get; }

    /// <summary>Gets the number of blocks: <see cref="Length"/> / <see cref="BlockRows"/>, rounded up.</summary>
    public long BlockCount { get; }

    /// <summary>Gets the seed; epoch <c>e</c> shuffles with <c>Seed + e</c>.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public override int NumReplicas { get; }

    /// <inheritdoc/>
    public override int Rank { get; }

    /// <summary>Gets a value indicating whether the uneven tail is dropped rather than padded.</summary>
    public override bool DropLast { get; }

    /// <summary>
    /// Gets the number of indices this replica yields per epoch, as PyTorch's <c>DistributedSampler</c> sizes it:
    /// <see cref="Length"/> / <see cref="NumReplicas"/>, rounded up, or down with <see cref="DropLast"/>.
    /// </summary>
    public override long Count { get; }

    /// <summary>Gets the number of indices all replicas yield together per epoch: <see cref="Count"/> × <see cref="NumReplicas"/>.</summary>
    public long TotalSize => Count * NumReplicas;

    /// <inheritdoc/>
    public override long? DatasetLength => Length;

    /// <inheritdoc/>
    public override bool CanIndex => true;

    /// <inheritdoc/>
    public override string OrderDescription => FormattableString.Invariant(
        $"BlockShuffleSampler(length={Length}, block_rows={BlockRows}, window_blocks={WindowBlocks}, seed={Seed}, drop_last={(DropLast ? "True" : "False")})");

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => EnumerateShare();

    /// <inheritdoc/>
    protected override void CopyOrderCore(long epoch, long start, long stride, Span<long> destination)
    {
        ulong epochSeed = unchecked((ulong)(Seed + epoch));
        // Slot s of the shuffled block order holds block blocks[s]; the short last block sits at slot shortSlot.
        var blocks = new FeistelPermutation((ulong)BlockCount, SplitMix64.StreamKey(epochSeed, 0));
        long shortSlot = _shortfall == 0 ? -1 : (long)blocks.Inverse((ulong)(BlockCount - 1));

        long window = -1, windowStart = 0, firstSlot = 0;
        FeistelPermutation rows = default;
        // The blocks of the current window, looked up once per window rather than once per row (for windows of sane size).
        Span<long> windowBlocks = WindowBlocks <= 512 ? stackalloc long[WindowBlocks] : default;
        for (int j = 0; j < destination.Length; j++)
        {
            long position = start + (j * stride);
            long slot = SlotAt(position, shortSlot);
            if (slot / WindowBlocks != window)
            {
                // Window w is slots [w * WindowBlocks, ...); its rows are shuffled by its own permutation, so any window
                // is computed without the ones before it.
                window = slot / WindowBlocks;
                firstSlot = window * WindowBlocks;
                long endSlot = Math.Min(BlockCount, firstSlot + WindowBlocks);
                windowStart = SlotStart(firstSlot, shortSlot);
                long windowEnd = SlotStart(endSlot, shortSlot);
                rows = new FeistelPermutation((ulong)(windowEnd - windowStart), SplitMix64.StreamKey(epochSeed, (ulong)window + 1));
                for (int k = 0; k < windowBlocks.Length && firstSlot + k < endSlot; k++)
                {
                    windowBlocks[k] = (long)blocks[(ulong)(firstSlot + k)];
                }
            }

            // The window's rows, in slot order, occupy the same positions as the window; the permutation picks one.
            long picked = windowStart + (long)rows[(ulong)(position - windowStart)];
            long pickedSlot = SlotAt(picked, shortSlot);
            long block = windowBlocks.IsEmpty ? (long)blocks[(ulong)pickedSlot] : windowBlocks[(int)(pickedSlot - firstSlot)];
            destination[j] = (block * BlockRows) + (picked - SlotStart(pickedSlot, shortSlot));
        }
    }

    // The global position where slot s of the shuffled block order begins (BlockCount gives Length).
    private long SlotStart(long slot, long shortSlot) =>
        (slot * BlockRows) - (shortSlot >= 0 && slot > shortSlot ? _shortfall : 0);

    // The slot of the shuffled block order that holds global position p.
    private long SlotAt(long position, long shortSlot)
    {
        if (shortSlot < 0 || position < shortSlot * BlockRows)
        {
            return position / BlockRows;
        }

        return position < (shortSlot * BlockRows) + (BlockRows - _shortfall) ? shortSlot : (position + _shortfall) / BlockRows;
    }
}
