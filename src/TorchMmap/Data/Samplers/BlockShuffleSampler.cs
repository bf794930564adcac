namespace TorchMmap.Data;

/// <summary>
/// Shuffles rows in a page-cache-friendly way for datasets larger than RAM: whole blocks of consecutive rows
/// are shuffled, then rows are shuffled only within small windows of blocks.
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
/// With several replicas, the global order is padded or cut exactly as PyTorch's <c>DistributedSampler</c> pads
/// or cuts its permutation: without <c>drop_last</c> it is extended to <see cref="TotalSize"/> by repeating it
/// from its start, with <c>drop_last</c> it is cut to <see cref="TotalSize"/>. Unlike PyTorch, replica
/// <see cref="Rank"/> then takes the contiguous range <c>[Rank * Count, (Rank + 1) * Count)</c> of that list
/// rather than every <see cref="NumReplicas"/>-th index, so each replica reads its own run of windows (its own
/// blocks, apart from at most one window shared with each neighbour). Together the replicas yield every row once
/// plus PyTorch's padding, or every row but PyTorch's dropped tail.
/// </para>
/// <para>
/// The randomness comes from <see cref="SplitMix64"/>-style generators seeded from <c>seed + epoch</c> (so, as
/// in PyTorch, seed 0 in epoch 1 equals seed 1 in epoch 0): one stream orders the blocks and window <c>w</c> has
/// its own stream, so a replica computes only the block order and the windows it yields. The orders are stable
/// across platforms and .NET versions, but they are not PyTorch's. Enumeration holds the block order and one
/// window of indices; <see cref="Sampler.GetIndices"/> builds the replica's whole share.
/// </para>
/// </remarks>
public sealed class BlockShuffleSampler : Sampler
{
    /// <summary>The default block size for <see cref="ForRowBytes"/>: 8 MiB.</summary>
    public const long DefaultBlockBytes = 8L * 1024 * 1024;

    /// <summary>The default number of blocks whose rows are shuffled together.</summary>
    public const int DefaultWindowBlocks = 8;

    /// <summary>Initializes a sampler with blocks of <paramref name="blockRows"/> rows.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <param name="blockRows">The number of consecutive rows in a block; the last block may be shorter.</param>
    /// <param name="windowBlocks">The number of shuffled blocks whose rows are shuffled together.</param>
    /// <param name="seed">The seed; epoch <c>e</c> uses <c>seed + e</c>. Must be the same on every replica.</param>
    /// <param name="num_replicas">
    /// The number of replicas; <see langword="null"/> reads the <c>WORLD_SIZE</c> environment variable, and uses 1
    /// when it is unset.
    /// </param>
    /// <param name="rank">
    /// This replica's rank, in [0, <paramref name="num_replicas"/>); <see langword="null"/> reads the <c>RANK</c>
    /// environment variable, and uses 0 when it is unset.
    /// </param>
    /// <param name="drop_last">
    /// <see langword="true"/> to drop the tail of the global order that would not divide evenly among the replicas;
    /// <see langword="false"/> to pad with repeated rows instead.
    /// </param>
    /// <exception cref="ArgumentException"><c>WORLD_SIZE</c> or <c>RANK</c> is read and is not an integer.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="length"/> is negative.
    /// <para>-or-</para>
    /// <paramref name="blockRows"/> or <paramref name="windowBlocks"/> is less than 1.
    /// <para>-or-</para>
    /// There would be more blocks, or more rows in a window, than a .NET array can hold.
    /// <para>-or-</para>
    /// The number of replicas is less than 1, or the rank is negative or not less than the number of replicas.
    /// </exception>
    public BlockShuffleSampler(long length, long blockRows, int windowBlocks = DefaultWindowBlocks, long seed = 0, int? num_replicas = 1, int? rank = 0, bool drop_last = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowBlocks);

        long blockCount = (length / blockRows) + (length % blockRows == 0 ? 0 : 1);
        if (blockCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(blockRows), blockRows,
                $"{length} rows in blocks of {blockRows} make {blockCount} blocks, more than a .NET array can hold; use larger blocks.");
        }

        // A window is materialized as one array while it is consumed.
        long windowRows = Math.Min(length, blockRows > long.MaxValue / windowBlocks ? long.MaxValue : blockRows * windowBlocks);
        if (windowRows > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(windowBlocks), windowBlocks,
                $"A window of {windowBlocks} blocks of {blockRows} rows holds more rows than a .NET array can hold; use fewer or smaller blocks.");
        }

        (NumReplicas, Rank) = ReplicaPartition.Resolve(num_replicas, rank);
        Length = length;
        BlockRows = blockRows;
        WindowBlocks = windowBlocks;
        BlockCount = blockCount;
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
    /// <param name="num_replicas">The number of replicas; <see langword="null"/> reads <c>WORLD_SIZE</c> (1 when unset).</param>
    /// <param name="rank">This replica's rank; <see langword="null"/> reads <c>RANK</c> (0 when unset).</param>
    /// <param name="drop_last"><see langword="true"/> to drop the uneven tail rather than pad.</param>
    /// <returns>A new sampler.</returns>
    /// <exception cref="ArgumentException"><c>WORLD_SIZE</c> or <c>RANK</c> is read and is not an integer.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="length"/> is negative.
    /// <para>-or-</para>
    /// <paramref name="rowBytes"/>, <paramref name="blockBytes"/> or <paramref name="windowBlocks"/> is less than 1.
    /// <para>-or-</para>
    /// There would be more blocks, or more rows in a window, than a .NET array can hold.
    /// <para>-or-</para>
    /// The number of replicas is less than 1, or the rank is negative or not less than the number of replicas.
    /// </exception>
    public static BlockShuffleSampler ForRowBytes(long length, long rowBytes, long blockBytes = DefaultBlockBytes, int windowBlocks = DefaultWindowBlocks, long seed = 0, int? num_replicas = 1, int? rank = 0, bool drop_last = false)
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

    /// <summary>Gets the number of replicas the rows are split among.</summary>
    public int NumReplicas { get; }

    /// <summary>Gets this replica's rank.</summary>
    public int Rank { get; }

    /// <summary>Gets a value indicating whether the uneven tail is dropped rather than padded.</summary>
    public bool DropLast { get; }

    /// <summary>
    /// Gets the number of indices this replica yields per epoch, as PyTorch's <c>DistributedSampler</c> sizes it:
    /// <see cref="Length"/> / <see cref="NumReplicas"/>, rounded up, or down with <see cref="DropLast"/>.
    /// </summary>
    public override long Count { get; }

    /// <summary>Gets the number of indices all replicas yield together per epoch: <see cref="Count"/> × <see cref="NumReplicas"/>.</summary>
    public long TotalSize => Count * NumReplicas;

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => Enumerate(Epoch);

    /// <inheritdoc/>
    public override long[] GetIndices()
    {
        ThrowIfTooLargeForArray(Count);
        var indices = new long[Count];
        using IEnumerator<long> e = Enumerate(Epoch);
        for (long i = 0; i < indices.Length && e.MoveNext(); i++)
        {
            indices[i] = e.Current;
        }

        return indices;
    }

    private IEnumerator<long> Enumerate(long epoch)
    {
        if (Count == 0)
        {
            yield break;
        }

        ulong epochSeed = unchecked((ulong)(Seed + epoch));
        long[] blockOrder = ShuffleBlocks(epochSeed);
        long[] windowStarts = GetWindowStarts(blockOrder);

        int window = -1;
        long[] rows = [];
        long start = Rank * Count;
        for (long position = start; position < start + Count; position++)
        {
            // Padding repeats the global order from its start, so position p holds global row p % Length.
            long globalPosition = position % Length;
            if (window < 0 || globalPosition < windowStarts[window] || globalPosition >= windowStarts[window + 1])
            {
                window = FindWindow(windowStarts, globalPosition);
                rows = GetWindowRows(blockOrder, window, windowStarts[window + 1] - windowStarts[window], epochSeed);
            }

            yield return rows[globalPosition - windowStarts[window]];
        }
    }

    private long[] ShuffleBlocks(ulong epochSeed)
    {
        var blockOrder = new long[BlockCount];
        for (long b = 0; b < blockOrder.Length; b++)
        {
            blockOrder[b] = b;
        }

        var random = new SplitMix64(StreamSeed(epochSeed, 0));
        random.Shuffle(blockOrder);
        return blockOrder;
    }

    // windowStarts[w] is the position in the global order where window w begins; the last entry is Length.
    private long[] GetWindowStarts(long[] blockOrder)
    {
        int windowCount = (int)((blockOrder.Length + (long)WindowBlocks - 1) / WindowBlocks);
        var windowStarts = new long[windowCount + 1];
        for (int b = 0; b < blockOrder.Length; b++)
        {
            windowStarts[(b / WindowBlocks) + 1] += GetBlockSize(blockOrder[b]);
        }

        for (int w = 1; w < windowStarts.Length; w++)
        {
            windowStarts[w] += windowStarts[w - 1];
        }

        return windowStarts;
    }

    private static int FindWindow(long[] windowStarts, long globalPosition)
    {
        // Starts are strictly increasing because no block is empty.
        int found = Array.BinarySearch(windowStarts, globalPosition);
        return found >= 0 ? found : ~found - 1;
    }

    private long[] GetWindowRows(long[] blockOrder, int window, long windowRows, ulong epochSeed)
    {
        var rows = new long[windowRows];
        int filled = 0;
        int firstBlock = window * WindowBlocks;
        int endBlock = (int)Math.Min(blockOrder.Length, (long)firstBlock + WindowBlocks);
        for (int b = firstBlock; b < endBlock; b++)
        {
            long first = blockOrder[b] * BlockRows;
            long size = GetBlockSize(blockOrder[b]);
            for (long row = first; row < first + size; row++)
            {
                rows[filled++] = row;
            }
        }

        // Window w draws from its own stream, so any window can be rebuilt without replaying the ones before it.
        var random = new SplitMix64(StreamSeed(epochSeed, (ulong)window + 1));
        random.Shuffle(rows);
        return rows;
    }

    private long GetBlockSize(long block) => Math.Min(BlockRows, Length - (block * BlockRows));

    // Streams are keyed by hashing, not by consecutive SplitMix64 states, so nearby streams don't share outputs.
    private static ulong StreamSeed(ulong epochSeed, ulong stream) =>
        SplitMix64.Mix(unchecked(SplitMix64.Mix(epochSeed) + SplitMix64.Mix(stream)));
}
