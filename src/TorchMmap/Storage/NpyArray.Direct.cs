using TorchMmap.Internal;

namespace TorchMmap.Storage;

// The cold random-read path: when to read rows with O_DIRECT instead of through the mapping.
public sealed partial class NpyArray
{
    // Rows further apart than this share no read-ahead: a batch whose rows mostly fall in regions of their own is scattered.
    private const int ScatterRegionShift = 20;

    // Beyond this a row is read through the mapping: the bounce buffer would be as large as the row.
    private const long MaxDirectRowBytes = 64L << 20;

    private long _directRows;
    private long _directShortRows;
    private RowEdgeCache? _edges;
    private bool _edgesCreated;
    private object? _edgesLock;

    /// <summary>The data size from which scattered batches are read with O_DIRECT: the memory this process may use, so the
    /// path is taken only where the page cache cannot hold the file anyway. Settable for tests.</summary>
    internal long DirectReadMinBytes { get; set; } = MemoryBudget.Bytes;

    /// <summary>The budget this array's row edges (<see cref="RowEdgeCache"/>) are reserved from: the process's. Settable for
    /// tests, before the first direct read.</summary>
    internal RowEdgeBudget EdgeBudget { get; set; } = RowEdgeBudget.Shared;

    /// <summary>Rows read with O_DIRECT so far.</summary>
    internal long DirectRowsRead => Interlocked.Read(ref _directRows);

    /// <summary>Rows read with O_DIRECT a block shorter, their edge kept, so far.</summary>
    internal long DirectShortRowsRead => Interlocked.Read(ref _directShortRows);

    // Rows scattered over data larger than the memory the process may use: each row costs one disk read whichever way it
    // is read, and through the mapping it also costs a page-cache insertion, a reclaim, and read-ahead no row wants (a
    // fault reads up to read_ahead_kb around it unless the mapping is marked random). Only read-only C-order arrays whose
    // bytes load as they are qualify: a writable mapping may hold changes the file does not have yet.
    private bool ShouldReadDirect(ReadOnlySpan<long> indices) =>
        indices.Length >= 2 && Header.DataLength > DirectReadMinBytes && Mode == NpyMode.ReadOnly && !IsFortranOrder
        && !NeedsLoadConversion && RowBytes is > 0 and <= MaxDirectRowBytes && IsScattered(indices);

    // A batch is scattered when read-ahead around its rows would bring in mostly bytes no row of it wants: when at least
    // half its rows fall in 1 MiB regions no other row of the batch touches (random order over a large file), or when its
    // rows fill at most a sixteenth of the regions they fall in and those regions are more than the memory the process
    // may use (a large random batch, a few rows to a region). The clustered rows of sequential order, strided ones such as
    // a replica's share of it among up to 16, and block-shuffled ones (a few rows in each of the window's blocks, which
    // later batches read too, and which memory holds meanwhile) stay with the mapping and its read-ahead.
    private bool IsScattered(ReadOnlySpan<long> indices)
    {
        const int StackRows = 512;
        const int SparseFill = 16;
        long[]? rented = indices.Length > StackRows ? System.Buffers.ArrayPool<long>.Shared.Rent(indices.Length) : null;
        try
        {
            Span<long> regions = rented is null ? stackalloc long[indices.Length] : rented.AsSpan(0, indices.Length);
            for (int i = 0; i < indices.Length; i++)
                regions[i] = (DataStart + indices[i] * RowBytes) >> ScatterRegionShift;
            regions.Sort();
            int lone = 0;
            long distinct = 0;
            for (int i = 0; i < regions.Length; i++)
            {
                bool first = i == 0 || regions[i] != regions[i - 1];
                if (first)
                    distinct++;
                if (first && (i == regions.Length - 1 || regions[i] != regions[i + 1]))
                    lone++;
            }
            long regionBytes = distinct << ScatterRegionShift;
            return lone * 2 >= indices.Length || (regionBytes > DirectReadMinBytes && indices.Length * RowBytes * SparseFill <= regionBytes);
        }
        finally
        {
            if (rented is not null)
                System.Buffers.ArrayPool<long>.Shared.Return(rented);
        }
    }

    // Gives the edges' memory back to the budget; no cache is created after this (a read still under way when the array is
    // disposed finds the slot taken), so none holds a reservation past the array.
    private void ReleaseEdges()
    {
        LazyInitializer.EnsureInitialized(ref _edges, ref _edgesCreated, ref _edgesLock, () => null)?.Release();
        Volatile.Write(ref _edges, null);
    }

    // Reads the rows with O_DIRECT when the batch qualifies and the file system allows it; false leaves them to the mapping.
    private unsafe bool TryReadDirect(in MappedFile.Lease lease, ReadOnlySpan<long> indices, byte* dst)
    {
        if (!ShouldReadDirect(indices) || lease.File.Direct is not { } reader)
            return false;
        RowEdgeCache? edges = LazyInitializer.EnsureInitialized(ref _edges, ref _edgesCreated, ref _edgesLock,
            () => RowEdgeCache.TryCreate(DataStart, RowBytes, Length, EdgeBudget));
        int shortRows = reader.ReadRows(DataStart, RowBytes, indices, dst, edges);
        Interlocked.Add(ref _directRows, indices.Length);
        Interlocked.Add(ref _directShortRows, shortRows);
        return true;
    }
}
