using System.Runtime.CompilerServices;
using TorchMmap.Internal;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// Windows of a token stream for language-model training: sample <c>i</c> starts at <c>s = i * stride</c> and gives
/// <c>x = tokens[s : s + T]</c> and <c>y = tokens[s + 1 : s + T + 1]</c> as int64, batched by <see cref="NpyDataLoader"/> into
/// <c>(B, T)</c> tensors named <c>"x"</c> and <c>"y"</c>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Orders.</b> With the default stride <c>T</c> the windows do not overlap (<c>Count = (N - 1) / T</c> for <c>N</c> tokens), and
/// any sampler shuffles them (<c>shuffle: true</c>, <see cref="DistributedSampler"/>, ...). With stride 1 every start offset is a
/// sample (<c>Count = N - T</c>), and a <see cref="RandIntSampler"/> gives nanoGPT's <c>get_batch</c> batches exactly:
/// <code>
/// using var tokens = TokenStream.OpenNanoGpt("train.bin");
/// using var windows = new TokenWindowDataset(tokens, blockSize: 256, stride: 1);
/// using var loader = new NpyDataLoader(windows, batchSize: 64, sampler: new RandIntSampler(windows.Count, num_samples: 64 * 1000, seed: 1337));
/// foreach (var batch in loader) { Tensor x = batch["x"], y = batch["y"]; ... }
/// </code>
/// </para>
/// <para>
/// <b>Copies.</b> Tokens are widened to int64 straight from the mapping into the batch tensors (the loader's reused batch slots,
/// or new tensors from <see cref="GetBatch"/>); there is no intermediate buffer or per-sample tensor. <c>y</c> is copied from
/// <c>x</c> shifted by one, plus the window's last token. Windows may span shard boundaries.
/// </para>
/// <para>The dataset disposes the stream only when built with <c>ownsTokens</c>. Reads are thread safe.</para>
/// </remarks>
public sealed unsafe class TokenWindowDataset : torch.utils.data.Dataset, IBatchDataset, IBatchFill, IPageCache
{
    /// <summary>The name of the input windows in a batch.</summary>
    public const string InputName = "x";

    /// <summary>The name of the target windows (inputs shifted by one token) in a batch.</summary>
    public const string TargetName = "y";

    private static readonly string[] s_names = [InputName, TargetName];

    private readonly bool _ownsTokens;
    private int _copyThreads = 1;
    private DatasetFingerprint? _fingerprint;
    private bool _disposed;

    /// <summary>Creates windows of <paramref name="blockSize"/> tokens every <paramref name="stride"/> tokens.</summary>
    /// <param name="tokens">The token stream.</param>
    /// <param name="blockSize">T, the tokens per window.</param>
    /// <param name="stride">Tokens between window starts; null for <paramref name="blockSize"/> (non-overlapping windows), 1 for every offset (nanoGPT).</param>
    /// <param name="ownsTokens">True to dispose <paramref name="tokens"/> with the dataset.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> or <paramref name="stride"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The stream has fewer than <paramref name="blockSize"/> + 1 tokens, so not even one window fits.</exception>
    public TokenWindowDataset(TokenStream tokens, int blockSize, long? stride = null, bool ownsTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        long step = stride ?? blockSize;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step, nameof(stride));
        if (tokens.Count < (long)blockSize + 1)
            throw new ArgumentException(Messages.Format(Messages.WindowStreamTooShort, tokens.Count, blockSize, blockSize + 1), nameof(tokens));
        Tokens = tokens;
        BlockSize = blockSize;
        Stride = step;
        _ownsTokens = ownsTokens;
        Count = (tokens.Count - blockSize - 1) / step + 1;
    }

    /// <summary>The token stream.</summary>
    public TokenStream Tokens { get; }

    /// <summary>T, the tokens per window.</summary>
    public int BlockSize { get; }

    /// <summary>Tokens between the starts of consecutive windows.</summary>
    public long Stride { get; }

    /// <summary>The number of windows: every start <c>s = i * Stride</c> with <c>s + T + 1 &lt;= N</c>.</summary>
    public override long Count { get; }

    /// <summary>The names of a sample's tensors: <c>"x"</c> and <c>"y"</c>.</summary>
    public IReadOnlyList<string> Names => s_names;

    /// <summary>How many threads may share the copy of one large batch (default 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int CopyThreads
    {
        get => _copyThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _copyThreads = value;
        }
    }

    /// <summary>The first token of window <paramref name="index"/>.</summary>
    /// <param name="index">A window index.</param>
    /// <returns>Its start position in the stream.</returns>
    public long StartOf(long index) => index * Stride;

    /// <summary>Returns window <paramref name="index"/>: <c>"x"</c> and <c>"y"</c>, each a 1-D int64 tensor of <see cref="BlockSize"/> tokens.</summary>
    /// <param name="index">The window index.</param>
    /// <returns>The sample; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public override Dictionary<string, Tensor> GetTensor(long index)
    {
        return BatchSample.FromBatchOfOne(GetBatch([index]));
    }

    /// <summary>Copies the windows at <paramref name="indices"/> into new <c>(indices.Length, T)</c> int64 tensors <c>"x"</c> and <c>"y"</c>.</summary>
    /// <param name="indices">Window indices in [0, <see cref="Count"/>), any order, repeats allowed.</param>
    /// <returns>The batch; the caller owns its tensors.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckIndices(indices);
        return BatchTensors.Make(Layout, indices, (rows, batch) => Fill(rows, batch));
    }

    /// <summary>The token files' dtypes, total length, sizes and a sample of their bytes, with the window size and stride (computed
    /// once): a loader's <c>state_dict</c> records it so a run resumes only on the same tokens cut the same way.</summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    public DatasetFingerprint Fingerprint
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _fingerprint ??= new DatasetFingerprint(
                Count,
                [new ArrayFingerprint("tokens", string.Join(",", Tokens.Files.Select(f => f.DType.Descr).Distinct()), [Tokens.Count], Tokens.Files.Sum(f => new FileInfo(f.Path).Length), DatasetFingerprint.SampleContent(Tokens.Files.Select(f => f.Path)))],
                FormattableString.Invariant($"windows of {BlockSize} tokens every {Stride}"));
        }
    }

    /// <inheritdoc />
    void IPageCache.WillNeed(ReadOnlySpan<long> indices)
    {
        if (_disposed)
            return;
        foreach (long index in indices)
        {
            if ((ulong)index < (ulong)Count)
                Tokens.WillNeed(StartOf(index), BlockSize + 1L);
        }
    }

    /// <inheritdoc />
    void IPageCache.Advise(NpyAccessPattern pattern)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Tokens.Advise(pattern);
    }

    /// <inheritdoc />
    long IPageCache.DataBytes => Tokens.Files.Sum(f => f.Array.Header.DataLength);

    /// <inheritdoc />
    void IPageCache.EnsureFilesIntact()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Tokens.EnsureFilesIntact();
    }

    /// <inheritdoc />
    (string Name, long[] SampleShape, ScalarType Type)[]? IBatchFill.FillLayout => _disposed ? null : Layout;

    /// <inheritdoc />
    bool IBatchFill.TryFillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckIndices(indices);
        Fill(indices, destination, help);
        return true;
    }

    /// <summary>Disposes the token stream if the dataset owns it.</summary>
    /// <param name="disposing">True when called from <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            if (_ownsTokens)
                Tokens.Dispose();
        }
        base.Dispose(disposing);
    }

    private void CheckIndices(ReadOnlySpan<long> indices)
    {
        ulong count = (ulong)Count;
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= count)
                ThrowHelper.ArgumentOutOfRange(nameof(indices), indices[i], Messages.WindowIndexOutOfRange, indices[i], i, Tokens.Count, Count, BlockSize, Stride);
        }
    }

    private (string Name, long[] SampleShape, ScalarType Type)[] Layout => [(InputName, [BlockSize], ScalarType.Int64), (TargetName, [BlockSize], ScalarType.Int64)];

    // Rows [0, indices.Length) of "x" and "y" of a batch or a loader's slot.
    private void Fill(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help = null)
    {
        if (indices.Length > 0)
            FillCore(indices, (long*)TensorMemory.DataPointer(destination[InputName], nameof(destination)), (long*)TensorMemory.DataPointer(destination[TargetName], nameof(destination)), help);
    }

    // Rows [0, indices.Length) of x and y; large batches are split over CopyThreads threads.
    private void FillCore(ReadOnlySpan<long> indices, long* x, long* y, CopyHelp? help = null)
    {
        CopyPlan plan = ParallelCopy.Plan(indices.Length, indices.Length * (long)BlockSize * 16, _copyThreads, help);
        if (plan.Parts <= 1)
        {
            FillRange(indices, x, y);
            return;
        }
        fixed (long* first = indices)
        {
            nint ip = (nint)first, xp = (nint)x, yp = (nint)y;
            ParallelCopy.Run(indices.Length, plan, (from, to) =>
            {
                long offset = (long)from * BlockSize;
                FillRange(new ReadOnlySpan<long>((long*)ip + from, to - from), (long*)xp + offset, (long*)yp + offset);
            });
        }
    }

    // Fully optimised from the first call, as the other copy loops: an epoch is too few calls for tiering to promote it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillRange(ReadOnlySpan<long> indices, long* x, long* y)
    {
        int t = BlockSize;
        var leases = new TokenStream.Leases(Tokens);
        try
        {
            for (int r = 0; r < indices.Length; r++)
            {
                long start = StartOf(indices[r]);
                long* xr = x + (long)r * t;
                long* yr = y + (long)r * t;
                Tokens.CopyCore(ref leases, start, t, xr);
                // y is x shifted by one, plus the token after the window.
                Buffer.MemoryCopy(xr + 1, yr, (t - 1) * 8L, (t - 1) * 8L);
                Tokens.CopyCore(ref leases, start + t, 1, yr + t - 1);
            }
        }
        finally
        {
            leases.Release();
        }
    }
}
