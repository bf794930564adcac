using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// Reads rows of a file with O_DIRECT and Linux native AIO: every row of a batch is one request, a queue of them kept in
/// flight (refilled as each completes), so the disk has many reads at once, and nothing passes through the page cache.
/// This is the path for rows scattered over a file larger than memory, where a cached page would be evicted before
/// another row needed it: page faults or will-need hints there cost a page-cache insertion and a reclaim per row and
/// read ahead what no row wants.
/// </summary>
/// <remarks>Thread safe: each call rents an AIO context with its own aligned buffer, so workers read in parallel.</remarks>
internal sealed unsafe class DirectReader : IDisposable
{
    /// <summary>O_DIRECT needs offsets, lengths and buffers aligned to the device's logical block; a page covers every
    /// common one.</summary>
    public const long Alignment = 4096;
    // Reads in flight per context. Deeper queues read slower on the virtio disks measured (fio: 44,000 random 16 KiB
    // reads a second at depth 32 against 36,000 at 256, the same minute), and the loader runs one context per thread.
    private const int MaxInFlight = 32;
    // Requests per io_submit. A virtio disk completes together what was submitted together: 32 requests in one call come
    // back as one burst, and the queue then stands empty while they are copied and resubmitted. In groups of 4 the
    // completions spread out (the loader's defaults, random page-aligned rows: 0.92x fio's rate against 0.84x, medians of
    // six epochs each alternating with fio).
    private const int SubmitGroup = 4;
    // Buffer slots per context: twice the reads in flight, so the next requests go out before the rows just read are copied.
    private const int MaxSlots = 2 * MaxInFlight;
    private const long BufferBytes = 8L << 20;

    private readonly SafeFileHandle _file;
    private readonly MappedFile _owner;
    private readonly ConcurrentBag<Context> _contexts = [];
    private int _disposed;

    private DirectReader(SafeFileHandle file, MappedFile owner)
    {
        _file = file;
        _owner = owner;
    }

    /// <summary>Opens the direct path for <paramref name="owner"/>'s file, or returns null where it is not available (not Linux
    /// x86-64/arm64, a file system without O_DIRECT, AIO disabled or out of contexts).</summary>
    public static DirectReader? TryOpen(MappedFile owner, SafeFileHandle file)
    {
        if (!LibC.IsAioSupported)
            return null;
        SafeFileHandle? direct;
        try
        {
            direct = LibC.OpenDirect(file);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if (direct is null)
            return null;
        var reader = new DirectReader(direct, owner);
        // One aligned read proves the file system takes O_DIRECT at this alignment before any batch depends on it.
        Context? probe = Context.TryCreate(Alignment);
        if (probe is null || !probe.Probe(direct))
        {
            probe?.Dispose();
            reader.Dispose();
            return null;
        }
        reader._contexts.Add(probe);
        return reader;
    }

    /// <summary>The bytes the disk is asked for to read <paramref name="bytes"/> bytes at <paramref name="offset"/>: whole
    /// aligned blocks around them.</summary>
    public static long SpanBytes(long offset, long bytes) => AlignUp(offset + bytes) - AlignDown(offset);

    /// <summary>Copies row <c>indices[k]</c> (at <paramref name="dataStart"/> + index × <paramref name="rowBytes"/>) to
    /// <paramref name="dst"/> + k × <paramref name="rowBytes"/>, for every k. With <paramref name="edges"/>, a row whose edge
    /// is kept there is read a block shorter, and the edges the reads bring are kept.</summary>
    /// <returns>The rows read a block shorter.</returns>
    /// <exception cref="InvalidDataException">The file is now shorter than a row needs.</exception>
    /// <exception cref="IOException">The disk reported an error.</exception>
    public int ReadRows(long dataStart, long rowBytes, ReadOnlySpan<long> indices, byte* dst, RowEdgeCache? edges = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // The largest span a row can have: its bytes plus the partial blocks at either end.
        long slotBytes = AlignUp(rowBytes) + Alignment;
        Context context = Rent(slotBytes);
        try
        {
            var batch = new Batch(_file, _owner, slotBytes, dataStart, rowBytes, edges, edges?.Begin(_file) ?? 0);
            return context.ReadRows(batch, indices, dst);
        }
        finally
        {
            if (context.Broken)
                context.Dispose();
            else
                _contexts.Add(context);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        while (_contexts.TryTake(out Context? context))
            context.Dispose();
        _file.Dispose();
    }

    private Context Rent(long slotBytes)
    {
        if (_contexts.TryTake(out Context? context) && context.BufferBytes >= slotBytes)
            return context;
        context?.Dispose();
        return Context.TryCreate(Math.Max(BufferBytes, slotBytes))
            ?? throw new IOException($"Cannot set up asynchronous reads of '{_owner.Path}': the kernel has no AIO context left (fs.aio-max-nr).");
    }

    /// <summary>The start of the block holding <paramref name="value"/>.</summary>
    public static long AlignDown(long value) => value & ~(Alignment - 1);

    /// <summary><paramref name="value"/> rounded up to a whole block.</summary>
    public static long AlignUp(long value) => (value + Alignment - 1) & ~(Alignment - 1);

    /// <summary>Where the rows of one call are, how large their slots are, and the edges they may use and keep.</summary>
    private readonly record struct Batch(SafeFileHandle File, MappedFile Owner, long SlotBytes, long DataStart, long RowBytes, RowEdgeCache? Edges, long Generation);

    /// <summary>One AIO context with its requests, completions and aligned bounce buffer.</summary>
    private sealed class Context : IDisposable
    {
        private readonly ulong _aio;
        private readonly byte* _buffer;
        private readonly LibC.IoControlBlock* _requests;
        private readonly LibC.IoControlBlock** _pointers;
        private readonly LibC.IoEvent* _events;
        private readonly int[] _free = new int[MaxSlots];
        // The edge each slot's row was read without (zero length: read whole), and a copy of its bytes taken at submission.
        private readonly RowEdgeCache.Edge[] _slotEdges = new RowEdgeCache.Edge[MaxSlots];
        private byte[] _edgeCopies = [];
        // The state of the batch being read (a context serves one call at a time).
        private int _next, _inFlight, _pending, _freeCount;
        private Exception? _error;

        private Context(ulong aio, long bufferBytes)
        {
            _aio = aio;
            BufferBytes = bufferBytes;
            _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bufferBytes, (nuint)Alignment);
            _requests = (LibC.IoControlBlock*)NativeMemory.AllocZeroed((nuint)(MaxSlots * sizeof(LibC.IoControlBlock)));
            _pointers = (LibC.IoControlBlock**)NativeMemory.Alloc((nuint)(MaxInFlight * sizeof(nint)));
            _events = (LibC.IoEvent*)NativeMemory.Alloc((nuint)(MaxInFlight * sizeof(LibC.IoEvent)));
        }

        public long BufferBytes { get; }

        /// <summary>True when requests may still be in flight after an error: only disposing (which waits for them) is safe.</summary>
        public bool Broken { get; private set; }

        public static Context? TryCreate(long bufferBytes) =>
            LibC.AioSetup(MaxInFlight, out ulong aio) == 0 ? new Context(aio, bufferBytes) : null;

        // Reads the file's first block; false when the kernel refuses the request.
        public bool Probe(SafeFileHandle file)
        {
            _requests[0] = Request(file, 0, 0, Alignment);
            _pointers[0] = _requests;
            if (LibC.AioSubmit(_aio, 1, _pointers) != 1)
                return false;
            long got;
            while ((got = LibC.AioGetEvents(_aio, 1, 1, _events)) == -LibC.EIntr)
            {
            }
            return got == 1 && _events[0].Result >= 0;
        }

        public int ReadRows(in Batch read, ReadOnlySpan<long> indices, byte* dst)
        {
            _freeCount = 0;
            for (int s = (int)Math.Min(MaxSlots, BufferBytes / read.SlotBytes) - 1; s >= 0; s--)
                _free[_freeCount++] = s;
            if (read.Edges is { } edges && _edgeCopies.Length < MaxSlots * edges.Capacity)
                _edgeCopies = new byte[MaxSlots * edges.Capacity];
            _next = 0;
            _inFlight = 0;
            _pending = 0;
            _error = null;
            int done = 0, shortened = 0;
            // Every request submitted is reaped before returning, even after an error, because the kernel writes into this
            // context's buffer until it completes.
            while (done < indices.Length && (_error is null || _inFlight > 0))
            {
                Submit(read, indices);
                if (_inFlight == 0)
                    continue;
                long got = LibC.AioGetEvents(_aio, 1, _inFlight, _events);
                if (got == -LibC.EIntr)
                    continue;
                if (got < 0)
                {
                    // Requests may still be writing into the buffer: the context must not be used again.
                    Broken = true;
                    throw new IOException($"Waiting for reads of '{read.Owner.Path}' failed: errno {-got}.");
                }
                _inFlight -= (int)got;
                // The disk gets its next requests before the rows it just read are copied out of their slots.
                Submit(read, indices);
                for (int e = 0; e < got; e++)
                {
                    LibC.IoEvent ev = _events[e];
                    int slot = (int)(ev.Data >> 32), k = (int)(uint)ev.Data;
                    done++;
                    if (ev.Result < 0)
                        _error ??= read.Owner.CopyFailed((int)-ev.Result);
                    else if (!Complete(read, indices[k], slot, ev.Result, dst + k * read.RowBytes))
                        _error ??= read.Owner.CopyFailed(LibC.EFault);   // a short read: the file ends before the row does
                    else if (_slotEdges[slot].Length > 0)
                        shortened++;
                    _free[_freeCount++] = slot;
                }
            }
            if (_error is not null)
                throw _error;
            return shortened;
        }

        // The file offsets [start, end) a row is read as: its whole blocks, less the block holding an edge that is kept
        // (which is then copied to the slot's edge copy).
        private (long Start, long End) Span(in Batch read, long row, int slot)
        {
            long offset = read.DataStart + row * read.RowBytes;
            long start = AlignDown(offset), end = AlignUp(offset + read.RowBytes);
            RowEdgeCache.Edge edge = default;
            if (read.Edges is { } edges)
            {
                edge = edges.EdgeOf(row);
                if (edge.Length > 0 && edges.TryCopy(row, edge, read.Generation, _edgeCopies.AsSpan(slot * edges.Capacity, edges.Capacity)))
                {
                    if (edge.AtHead)
                        start += Alignment;
                    else
                        end -= Alignment;
                }
                else
                {
                    edge = default;
                }
            }
            _slotEdges[slot] = edge;
            return (start, end);
        }

        // Copies a row read into its slot (got bytes) to dst, with its kept edge, and keeps the edges of it and its neighbours
        // the read brought. False when the read ended before the row did.
        private bool Complete(in Batch read, long row, int slot, long got, byte* dst)
        {
            long offset = read.DataStart + row * read.RowBytes;
            RowEdgeCache.Edge edge = _slotEdges[slot];
            long start = AlignDown(offset) + (edge.AtHead && edge.Length > 0 ? Alignment : 0);
            long bodyFrom = offset + (edge.AtHead ? edge.Length : 0), bodyBytes = read.RowBytes - edge.Length;
            if (got < bodyFrom - start + bodyBytes)
                return false;
            if (_error is not null)
                return true;
            byte* slotStart = _buffer + slot * read.SlotBytes;
            Buffer.MemoryCopy(slotStart + (bodyFrom - start), dst + (edge.AtHead ? edge.Length : 0), bodyBytes, bodyBytes);
            if (read.Edges is not { } edges)
                return true;
            if (edge.Length > 0)
                _edgeCopies.AsSpan(slot * edges.Capacity, edge.Length).CopyTo(new Span<byte>(dst + (edge.AtHead ? 0 : bodyBytes), edge.Length));
            for (long neighbour = Math.Max(0, row - 1); neighbour <= row + 1 && neighbour < edges.Rows; neighbour++)
            {
                RowEdgeCache.Edge kept = edges.EdgeOf(neighbour);
                if (kept.Length > 0 && kept.Offset >= start && kept.Offset + kept.Length <= start + got)
                    edges.Offer(neighbour, kept, read.Generation, new ReadOnlySpan<byte>(slotStart + (kept.Offset - start), kept.Length));
            }
            return true;
        }

        // Fills free slots with requests for the next rows, up to MaxInFlight in flight, and submits them SubmitGroup at a
        // time. Requests the kernel does not take yet (EAGAIN) wait at the front of the queue for the next call.
        private void Submit(in Batch read, ReadOnlySpan<long> indices)
        {
            if (_error is not null)
                return;
            while (_next < indices.Length && _freeCount > 0 && _inFlight + _pending < MaxInFlight)
            {
                int slot = _free[--_freeCount];
                (long start, long end) = Span(read, indices[_next], slot);
                _requests[slot] = Request(read.File, ((ulong)(uint)slot << 32) | (uint)_next, start, end - start, _buffer + slot * read.SlotBytes);
                _pointers[_pending++] = _requests + slot;
                _next++;
            }
            int taken = 0;
            while (taken < _pending)
            {
                int group = Math.Min(_pending - taken, SubmitGroup);
                long submitted = LibC.AioSubmit(_aio, group, _pointers + taken);
                if (submitted > 0)
                {
                    _inFlight += (int)submitted;
                    taken += (int)submitted;
                    if (submitted < group)
                        break;
                }
                else
                {
                    if (submitted != -LibC.EAgain || _inFlight == 0)
                        _error = new IOException($"Reading '{read.Owner.Path}' failed: {Marshal.GetPInvokeErrorMessage((int)-submitted)} (errno {-submitted}).");
                    break;
                }
            }
            for (int i = taken; i < _pending; i++)
                _pointers[i - taken] = _pointers[i];
            _pending -= taken;
        }

        public void Dispose()
        {
            LibC.AioDestroy(_aio);
            NativeMemory.AlignedFree(_buffer);
            NativeMemory.Free(_requests);
            NativeMemory.Free(_pointers);
            NativeMemory.Free(_events);
        }

        private LibC.IoControlBlock Request(SafeFileHandle file, ulong data, long offset, long bytes, byte* buffer = null) => new()
        {
            Data = data,
            Opcode = LibC.IocbCmdPRead,
            FileDescriptor = (uint)file.DangerousGetHandle(),
            Buffer = (ulong)(buffer == null ? _buffer : buffer),
            Bytes = (ulong)bytes,
            Offset = offset,
        };
    }
}
