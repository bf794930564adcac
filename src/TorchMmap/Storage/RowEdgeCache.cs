using Microsoft.Win32.SafeHandles;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// Keeps the few bytes of each row that make its direct read a block longer than the row needs. The rows of an
/// <c>np.save</c> file start where the header ends, 128 bytes into a block, so a 12 KiB row spans four blocks, the last
/// holding only its final 128 bytes; with those bytes kept here, the row is read as three blocks. A read also brings the
/// blocks its row shares with the rows either side, so their edges are kept as they pass: in a first random epoch about
/// half the rows find their edge kept (the neighbour holding it was read before them), in later epochs every row does.
/// </summary>
/// <remarks>
/// Thread safe: each row's edge has a stamp, written after its bytes, so a reader that finds the stamp unchanged around
/// its copy has whole bytes; a writer claims a row by swapping its stamp for <c>Busy</c>. A change of the file (its
/// status-change time or size, checked once per batch) starts a new generation, in which no edge kept before counts. The
/// memory comes from a <see cref="RowEdgeBudget"/>, given back by <see cref="Release"/>.
/// </remarks>
internal sealed class RowEdgeCache
{
    // An edge longer than this share of its row costs more memory than the block it saves is worth.
    private const int MaxEdgeShare = 16;
    private const long Busy = -1;

    private readonly long _dataStart;
    private readonly long _rowBytes;
    private readonly int _capacity;
    private readonly long[] _stamps;
    private readonly byte[] _edges;
    private readonly object _changeLock = new();
    private readonly RowEdgeBudget _budget;
    private long _reserved;
    private long _generation = 1;
    private (long ChangedNs, long Size)? _fileStamp;

    private RowEdgeCache(long dataStart, long rowBytes, int capacity, long rows, RowEdgeBudget budget, long reserved)
    {
        _dataStart = dataStart;
        _rowBytes = rowBytes;
        _capacity = capacity;
        _budget = budget;
        _reserved = reserved;
        _stamps = new long[rows];
        _edges = new byte[rows * capacity];
    }

    /// <summary>The rows [0, Rows) whose edges can be kept.</summary>
    public long Rows => _stamps.Length;

    /// <summary>The bytes kept per row: the longest edge any row has.</summary>
    public int Capacity => _capacity;

    /// <summary>Where row <paramref name="row"/>'s edge lies, or a zero-length edge when the row spans no more blocks than its
    /// size needs. The edge is the part of the row in its first or in its last block, whichever is shorter.</summary>
    public static Edge EdgeOf(long dataStart, long rowBytes, long row)
    {
        long start = dataStart + row * rowBytes, end = start + rowBytes;
        long first = DirectReader.AlignDown(start), last = DirectReader.AlignUp(end);
        if (last - first == DirectReader.AlignUp(rowBytes))
            return default;
        long head = first + DirectReader.Alignment - start, tail = end - (last - DirectReader.Alignment);
        return tail <= head ? new Edge(last - DirectReader.Alignment, (int)tail, AtHead: false) : new Edge(start, (int)head, AtHead: true);
    }

    /// <summary>Where row <paramref name="row"/>'s edge lies in this cache's array.</summary>
    public Edge EdgeOf(long row) => EdgeOf(_dataStart, _rowBytes, row);

    /// <summary>A cache for the rows of an array, its memory reserved from <paramref name="budget"/> (as many rows from the
    /// first as it holds), or null when keeping edges would not pay: no row has one, an edge can exceed a sixteenth of its
    /// row, or the budget has no room left.</summary>
    public static RowEdgeCache? TryCreate(long dataStart, long rowBytes, long rows, RowEdgeBudget budget)
    {
        if (rowBytes <= 0 || rows <= 0)
            return null;
        // Row starts repeat their offset within a block every Alignment / gcd(rowBytes mod Alignment, Alignment) rows; the
        // block being a power of two, that divisor is the lowest set bit of the remainder.
        long step = rowBytes % DirectReader.Alignment;
        long period = step == 0 ? 1 : DirectReader.Alignment / (step & -step);
        int capacity = 0;
        for (long r = 0; r < Math.Min(rows, period); r++)
            capacity = Math.Max(capacity, EdgeOf(dataStart, rowBytes, r).Length);
        if (capacity == 0 || (long)capacity * MaxEdgeShare > rowBytes)
            return null;
        long rowCost = capacity + sizeof(long);
        long reserved = budget.Reserve(Math.Min(rows, Array.MaxLength / capacity) * rowCost, rowCost);
        return reserved == 0 ? null : new RowEdgeCache(dataStart, rowBytes, capacity, reserved / rowCost, budget, reserved);
    }

    /// <summary>Gives the cache's memory back to its budget (once; the cache stays usable, its arrays collected with it).</summary>
    public void Release() => _budget.Release(Interlocked.Exchange(ref _reserved, 0));

    /// <summary>Checks the file for changes since the last call and returns the generation this batch reads and keeps edges
    /// in, or 0 when the file's status cannot be read (then no edge is used or kept).</summary>
    public long Begin(SafeFileHandle file)
    {
        (long, long)? stamp = LibC.TryChangeStamp(file);
        if (stamp is null)
            return 0;
        lock (_changeLock)
        {
            if (_fileStamp != stamp)
            {
                if (_fileStamp is not null)
                    _generation++;
                _fileStamp = stamp;
            }
            return _generation;
        }
    }

    /// <summary>The edge of <paramref name="row"/> if it is kept in <paramref name="generation"/>: copies it to
    /// <paramref name="destination"/> and returns true.</summary>
    public bool TryCopy(long row, in Edge edge, long generation, Span<byte> destination)
    {
        if (generation == 0 || row >= _stamps.Length || Volatile.Read(ref _stamps[row]) != generation)
            return false;
        new ReadOnlySpan<byte>(_edges, checked((int)(row * _capacity)), edge.Length).CopyTo(destination);
        // The copy's loads must complete before the stamp is read again: a writer may have claimed the row meanwhile.
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _stamps[row]) == generation;
    }

    /// <summary>Keeps <paramref name="bytes"/> as the edge of <paramref name="row"/> in <paramref name="generation"/>, unless it
    /// is kept already or another thread is keeping it.</summary>
    public void Offer(long row, in Edge edge, long generation, ReadOnlySpan<byte> bytes)
    {
        if (generation == 0 || row >= _stamps.Length)
            return;
        long stamp = Volatile.Read(ref _stamps[row]);
        if (stamp == generation || stamp == Busy || Interlocked.CompareExchange(ref _stamps[row], Busy, stamp) != stamp)
            return;
        bytes[..edge.Length].CopyTo(_edges.AsSpan(checked((int)(row * _capacity)), edge.Length));
        Volatile.Write(ref _stamps[row], generation);
    }

    /// <summary>The edge of a row: <see cref="Length"/> bytes at file offset <see cref="Offset"/>, in the row's first block
    /// (<see cref="AtHead"/>) or its last.</summary>
    public readonly record struct Edge(long Offset, int Length, bool AtHead);
}
