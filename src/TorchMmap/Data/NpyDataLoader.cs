using System.Collections;
using System.Diagnostics;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// Iterates a dataset in batches of <c>Dictionary&lt;string, Tensor&gt;</c>, the shape TorchSharp training loops take from
/// <c>DataLoader</c>, with options named as TorchSharp and PyTorch name them. Each batch is copied straight from the
/// memory-mapped files in one pass per array, and the next batches are assembled on background threads while the
/// training step runs.
/// </summary>
/// <remarks>
/// <para>
/// <b>Ownership.</b> With <c>disposeBatch</c> (the default) a batch's tensors belong to the loader and are disposed when
/// the next batch is taken, as in TorchSharp. The batch current when an enumeration is left early (<c>break</c>, an
/// exception, <c>loader.First()</c>) is not disposed: it becomes the caller's. The loader reuses batch memory (a ring of
/// batch slots, one per batch in flight), but only memory nothing else holds: a view kept past its batch (<c>narrow</c>,
/// <c>view</c>, <c>to(CPU)</c>, a graph's saved input) keeps its rows, and the loader takes fresh memory for later
/// batches instead. With <c>disposeBatch: false</c> the caller owns every batch, and each batch has memory of its own.
/// </para>
/// <para>
/// <b>Epochs.</b> Every enumeration is one epoch, as every <c>iter(loader)</c> is in PyTorch: a <c>foreach</c> left early
/// ends its epoch, and the next <c>foreach</c> starts the next epoch from its first batch. To continue an epoch where it
/// was left, take <see cref="state_dict"/> and pass it to <see cref="load_state_dict"/>. The order comes from the sampler
/// for the current <see cref="Epoch"/>, which advances by one with each enumeration; <see cref="SetEpoch"/> sets it
/// explicitly. With <c>shuffle</c> the order is that of PyTorch's <c>DistributedSampler(num_replicas=1, shuffle=True,
/// seed=seed)</c> after <c>set_epoch(epoch)</c> (see <see cref="RandomSampler"/>); for the order of PyTorch's
/// <c>DataLoader(shuffle=True, generator=torch.Generator().manual_seed(seed))</c> pass a <see cref="GeneratorRandomSampler"/>.
/// </para>
/// <para>
/// <b>Workers.</b> <c>num_workers</c> background threads each keep up to <c>prefetch_factor</c> finished batches ready;
/// 0 builds each batch on the calling thread. A worker's exception is rethrown from <c>MoveNext</c> with its original
/// stack. Disposing the enumerator or the loader mid-epoch stops the workers and frees every batch they made.
/// </para>
/// <para>One enumeration at a time: starting one on another thread while an enumeration is in progress, or calling
/// <c>MoveNext</c> from two threads at once, throws <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public sealed partial class NpyDataLoader : IEnumerable<Dictionary<string, Tensor>>, IDisposable
{
    private readonly IBatchDataset _dataset;
    private readonly bool _disposeDataset;
    private readonly object _gate = new();
    private Enumerator? _active;
    private Stop? _stopped;   // where the last enumeration was left early, until the next one starts
    private BatchSlotPool? _slots;
    private long _epoch;
    private long _resumePosition;
    private long _waitTicks;
    private bool _disposed;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The dataset (an <see cref="NpyMmapDataset"/> or a <see cref="Subset"/> of one).</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">True for a new random order every epoch (a <see cref="RandomSampler"/> seeded by <paramref name="seed"/>).</param>
    /// <param name="seed">The seed of the shuffled order.</param>
    /// <param name="drop_last">True to drop the last batch when it is short.</param>
    /// <param name="device">Where batches are moved (the CPU when null).</param>
    /// <param name="sampler">The order of samples; mutually exclusive with <paramref name="shuffle"/>.</param>
    /// <param name="num_workers">Background threads assembling batches; 0 assembles on the calling thread.</param>
    /// <param name="prefetch_factor">Batches each worker keeps ready ahead of the training loop; null (the default) chooses it
    /// from the batch's size (see <see cref="PrefetchFactor"/>).</param>
    /// <param name="disposeBatch">True to dispose each batch when the next one is taken.</param>
    /// <param name="disposeDataset">True to dispose the dataset with the loader.</param>
    /// <param name="pageHints">True to pass the kernel paging hints (Linux <c>madvise</c>; nothing elsewhere): each epoch the access
    /// pattern (normal read-ahead for a <see cref="SequentialSampler"/> or <see cref="BlockShuffleSampler"/>, random otherwise),
    /// and, in shuffled orders, will-need for the rows of the batches <c>prefetch_factor</c> ahead of each worker, so the disk
    /// reads them while earlier batches are copied. Worth it when data is on disk rather than in the page cache; null (the
    /// default) passes them when the dataset's mapped data is larger than the memory the process may use (see
    /// <see cref="PageHints"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/>, <paramref name="num_workers"/> or <paramref name="prefetch_factor"/> is out of range.</exception>
    /// <exception cref="ArgumentException">Both <paramref name="sampler"/> and <paramref name="shuffle"/> are given, or a built-in sampler was made for a dataset of another size.</exception>
    public NpyDataLoader(
        IBatchDataset dataset,
        int batchSize,
        bool shuffle = false,
        long seed = 0,
        bool drop_last = false,
        Device? device = null,
        Sampler? sampler = null,
        int num_workers = 1,
        int? prefetch_factor = null,
        bool disposeBatch = true,
        bool disposeDataset = false,
        bool? pageHints = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(num_workers);
        if (prefetch_factor is int prefetch)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prefetch, nameof(prefetch_factor));
        if (sampler is not null && shuffle)
            throw new ArgumentException(Messages.LoaderSamplerWithShuffle, nameof(sampler));
        // A sampler built for another dataset would fail only at the first batch, inside a worker; say so now.
        if (sampler?.DatasetLength is long length && length != dataset.Count)
            throw new ArgumentException(Messages.Format(Messages.LoaderSamplerLength, length, dataset.Count), nameof(sampler));
        _dataset = dataset;
        _disposeDataset = disposeDataset;
        BatchSize = batchSize;
        DropLast = drop_last;
        Device = device ?? CPU;
        Sampler = sampler ?? (shuffle ? new RandomSampler(dataset.Count, seed) : new SequentialSampler(dataset.Count));
        NumWorkers = num_workers;
        PrefetchFactor = prefetch_factor ?? DefaultPrefetchFactor(dataset, batchSize);
        DisposeBatch = disposeBatch;
        PageHints = pageHints ?? HintsByDefault(dataset, MemoryBudget.Bytes);
    }

    /// <summary>The dataset read.</summary>
    public IBatchDataset Dataset => _dataset;

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether a short last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Where batches are placed.</summary>
    public Device Device { get; }

    /// <summary>The order of samples.</summary>
    public Sampler Sampler { get; }

    /// <summary>Background threads assembling batches (0: the calling thread).</summary>
    public int NumWorkers { get; }

    /// <summary>Batches each worker keeps ready: as given, or by default enough batches to hold about
    /// <see cref="DefaultPrefetchBytes"/> (at least 2, as PyTorch's default, and at most 8).</summary>
    /// <remarks>A worker hands batches over through a ring of this many, and wakes a training loop that waits for batches
    /// only once half of the ring is ready; small batches (a few hundred KiB, made in tens of microseconds) thus need a
    /// deeper ring than PyTorch's 2, or the wake-up per batch costs as much as making it.</remarks>
    public int PrefetchFactor { get; }

    /// <summary>The bytes of finished batches each worker keeps ready by default (see <see cref="PrefetchFactor"/>).</summary>
    public const long DefaultPrefetchBytes = 4L << 20;

    /// <summary>Whether each batch is disposed when the next one is taken.</summary>
    public bool DisposeBatch { get; }

    /// <summary>Whether paging hints are sent to the kernel: as given, or by default when the dataset's mapped data is larger
    /// than the memory the process may use (the smallest of the machine's memory and its memory cgroups' limits), so its
    /// samples come from the disk. There a random order without hints faults up to <c>read_ahead_kb</c> around every
    /// sample, which memory evicts before its neighbours are read (token windows and documents hundreds of times slower
    /// than with hints); data the page cache holds gains nothing from them.</summary>
    public bool PageHints { get; }

    /// <summary>Batches per epoch, honouring <see cref="DropLast"/>.</summary>
    public long Count => DropLast ? Sampler.Count / BatchSize : (Sampler.Count + BatchSize - 1) / BatchSize;

    /// <summary>The epoch the next (or current) enumeration reads.</summary>
    public long Epoch => _epoch;

    /// <summary>Total time the training loop has spent waiting in <c>MoveNext</c> for a batch.</summary>
    public TimeSpan WaitTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _waitTicks));

    /// <summary>Batches handed out in the current epoch so far (after a resume, the batches before the resume position count
    /// as this loader's global batch size would have cut them).</summary>
    // Once an enumeration has run to its end the epoch has advanced, so the count restarts even before it is disposed.
    public long BatchesConsumed => _active is { Finished: false } active ? active.Consumed : _stopped?.Batches ?? BatchesBefore(_resumePosition);

    /// <summary>The global sample position reached in the current epoch: the positions of the epoch's global order that all
    /// replicas together have consumed (see <see cref="NpyLoaderState"/>).</summary>
    public long Position => _active is { Finished: false, Exhausted: false } active ? active.Position : _stopped?.Position ?? _resumePosition;

    // Samples all replicas consume per step.
    private long GlobalBatchSize => (long)BatchSize * Sampler.NumReplicas;

    /// <summary>Sets the epoch the next enumeration reads (as <c>DistributedSampler.set_epoch</c>), starting it from its first batch.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    public void SetEpoch(long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        _epoch = epoch;
        _resumePosition = 0;
        _stopped = null;
    }

    /// <summary>Captures the place in the run: the epoch and the global sample position in it, with what identifies the run
    /// (global batch size, drop_last, the sampler's order and the dataset's fingerprint).</summary>
    /// <returns>The state; pass it to <see cref="load_state_dict"/> of a new loader, with this or another number of replicas, to resume.</returns>
    /// <exception cref="IOException">The dataset's fingerprint cannot be computed because a file cannot be read.</exception>
    /// <remarks>After a <c>foreach</c> left early, the state is the place where it was left, until the next enumeration starts.</remarks>
    public NpyLoaderState state_dict()
    {
        long epoch = _active switch
        {
            { Finished: false, Exhausted: true } done => done.Epoch + 1,
            { Finished: false } active => active.Epoch,
            _ => _stopped?.Epoch ?? _epoch,
        };
        return new(epoch, Position, (int)Math.Min(int.MaxValue, GlobalBatchSize), DropLast, Sampler.OrderDescription, _dataset.Fingerprint);
    }

    /// <summary>Restores a place captured by <see cref="state_dict"/>: the next enumeration continues that epoch from its
    /// global position, so that with the same global batch size no sample of the epoch is repeated or skipped and the
    /// epoch's order is the uninterrupted run's, whatever the number of replicas then and now. Takes the same time at any position.</summary>
    /// <param name="state">The state.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="ArgumentException">The state is of other data (the message lists what differs), another order, another global batch
    /// size or drop_last, or its position is past the epoch.</exception>
    /// <exception cref="InvalidOperationException">The sampler's order is not reproducible, or an enumeration is in progress.</exception>
    /// <exception cref="IOException">The dataset's fingerprint cannot be computed because a file cannot be read.</exception>
    public void load_state_dict(NpyLoaderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Problem() is string problem)
            throw new ArgumentException(Messages.Format(Messages.StateInvalid, problem), nameof(state));
        if (state.Dataset.DifferenceFrom(_dataset.Fingerprint) is string difference)
            throw new ArgumentException(Messages.Format(Messages.StateOtherDataset, difference), nameof(state));
        if (state.Order != Sampler.OrderDescription)
            throw new ArgumentException(Messages.Format(Messages.StateOtherOrder, state.Order, Sampler.OrderDescription), nameof(state));
        if (state.GlobalBatchSize != GlobalBatchSize || state.DropLast != DropLast)
            throw new ArgumentException(Messages.Format(Messages.StateOtherBatching, state.GlobalBatchSize, state.DropLast, GlobalBatchSize, BatchSize, Sampler.NumReplicas, DropLast), nameof(state));
        if (!Sampler.IsDeterministic)
            throw new InvalidOperationException(Messages.StateOrderNotReproducible);
        if (_active is not null)
            throw new InvalidOperationException(Messages.StateWhileEnumerating);
        // A checkpoint is taken before the epoch's last batch, so its position is short of the epoch's padded end.
        long epochPositions = Math.Max(_dataset.Count, Sampler.Count * Sampler.NumReplicas);
        if (state.Position >= epochPositions + state.GlobalBatchSize)
            throw new ArgumentException(Messages.Format(Messages.StatePositionPastEpoch, state.Position, epochPositions), nameof(state));
        _epoch = state.Epoch;
        _resumePosition = state.Position;
        _stopped = null;
    }

    /// <summary>Starts one epoch.</summary>
    /// <returns>The batches of the epoch.</returns>
    /// <exception cref="ObjectDisposedException">The loader has been disposed.</exception>
    /// <remarks>An enumeration of this loader still in progress on the same thread is ended first (as if left early).</remarks>
    /// <exception cref="InvalidOperationException">The sampler yields a different number of indices than its <see cref="Sampler.Count"/>,
    /// or another thread is enumerating this loader.</exception>
    /// <exception cref="InvalidDataException">Thrown by the enumerator's <c>MoveNext</c> when a file has been truncated since it was
    /// opened (each epoch and each copy check first).</exception>
    public IEnumerator<Dictionary<string, Tensor>> GetEnumerator()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_active is { } previous)
            {
                if (!previous.Finished && previous.ThreadId != Environment.CurrentManagedThreadId)
                    throw new InvalidOperationException(Messages.LoaderEnumeratedTwice);
                previous.Dispose();
            }
            _stopped = null;
            (_dataset as IPageCache)?.EnsureFilesIntact();
            Sampler.SetEpoch(_epoch);
            var indices = new EpochIndices(Sampler, _epoch, _resumePosition, BatchSize, DropLast);
            if (PageHints)
                (_dataset as IPageCache)?.Advise(AccessPatternOf(Sampler));
            var enumerator = new Enumerator(this, _epoch, indices, BatchesBefore(_resumePosition), PrepareSlots());
            _resumePosition = 0;
            _active = enumerator;
            return enumerator;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Stops any enumeration in progress, frees its batches and, if asked, disposes the dataset.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _active?.Dispose();
            _active = null;
            _slots?.Dispose();
            _slots = null;
        }
        if (_disposeDataset && _dataset is IDisposable d)
            d.Dispose();
    }

    // The batches of this loader's size that the positions before a resume point make, rounded up.
    private long BatchesBefore(long position) => (position + GlobalBatchSize - 1) / GlobalBatchSize;

    // Sequential and block-shuffled rows come in runs of consecutive rows, which the kernel's normal read-ahead serves
    // well; other shuffled orders would only waste read-ahead. MADV_SEQUENTIAL is not used: on a cold file larger than
    // the memory limit it made sequential epochs 1.5x slower than normal read-ahead (benchmarks, cold mode).
    private static NpyAccessPattern AccessPatternOf(Sampler sampler) => sampler switch
    {
        SequentialSampler or BlockShuffleSampler => NpyAccessPattern.Normal,
        _ => NpyAccessPattern.Random,
    };

    // The default for pageHints: hints for datasets over more mapped data than memory holds.
    internal static bool HintsByDefault(IBatchDataset dataset, long memoryBytes) =>
        dataset is IPageCache cache && cache.DataBytes > memoryBytes;

    // Will-need hints only slow a sequential epoch down: the kernel's read-ahead already runs ahead of in-order reads.
    private bool HintsRows => PageHints && Sampler is not SequentialSampler && _dataset is IPageCache;

    // Batches of unknown size (a dataset that does not fill in place) get PyTorch's default.
    private static int DefaultPrefetchFactor(IBatchDataset dataset, int batchSize)
    {
        if ((dataset as IBatchFill)?.FillLayout is not { } layout)
            return MinDefaultPrefetch;
        long sampleBytes = 0;
        foreach ((_, long[] shape, ScalarType type) in layout)
            sampleBytes += shape.Aggregate(1L, (a, b) => a * b) * TensorMemory.ElementSize(type);
        long batchBytes = Math.Max(1, sampleBytes * batchSize);
        return (int)Math.Clamp(DefaultPrefetchBytes / batchBytes, MinDefaultPrefetch, MaxDefaultPrefetch);
    }

    private const int MinDefaultPrefetch = 2;
    private const int MaxDefaultPrefetch = 8;

    // Batch memory is reused only when the loader owns the batches and they stay on the CPU as the dataset filled them.
    private BatchSlotPool? PrepareSlots()
    {
        var layout = DisposeBatch && Device.type == DeviceType.CPU && _dataset is IBatchFill fill ? fill.FillLayout : null;
        if (layout is null || _slots is null || !_slots.Fits(BatchSize, layout))
        {
            _slots?.Dispose();
            // In flight at once: each worker's ring, the batch each worker is building, the one the training loop holds and,
            // with workers, one the training loop built ahead while it waited.
            int capacity = NumWorkers * (PrefetchFactor + 1) + (NumWorkers > 0 ? 2 : 1);
            _slots = layout is null ? null : new BatchSlotPool(BatchSize, layout, capacity);
        }
        return _slots;
    }

    private void OnEpochFinished(Enumerator enumerator)
    {
        if (_active == enumerator)
        {
            _epoch = enumerator.Epoch + 1;
            _resumePosition = 0;
        }
    }

    private void OnEnumeratorDisposed(Enumerator enumerator)
    {
        lock (_gate)
        {
            if (_active != enumerator)
                return;
            // Every batch handed out is a finished epoch, whether or not MoveNext was asked once more. An epoch left early
            // ends too, as an abandoned iterator does in PyTorch; state_dict() still reports where it was left.
            if (!enumerator.Exhausted && !enumerator.Finished)
                _stopped = new Stop(enumerator.Epoch, enumerator.Position, enumerator.Consumed);
            if (!enumerator.Finished)
                OnEpochFinished(enumerator);
            _active = null;
        }
    }

    // The place an enumeration was left early: epoch, global position, batches consumed.
    private sealed record Stop(long Epoch, long Position, long Batches);

    private void AddWait(long ticks) => Interlocked.Add(ref _waitTicks, ticks);
}
