using System.Globalization;
using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// Streams tokens into a series of shards of at most <see cref="TokensPerShard"/> tokens each, as llm.c's data scripts do
/// (<c>fineweb.py</c> writes <c>fineweb_train_000001.bin</c>, ... of 10^8 tokens): each shard is completed (its header fixed
/// up, flushed and renamed into place) as soon as it is full, and the next one started.
/// </summary>
/// <remarks>
/// Shard paths come from <see cref="PathPattern"/>, a composite format string with the shard index as <c>{0}</c>, e.g.
/// <c>data/tiny_train_{0:D6}.bin</c>. Completed shards are final; disposing before <see cref="Complete"/> deletes only the
/// shard in progress. Each shard is crash-safe as <see cref="TokenWriter"/>. Not thread safe.
/// </remarks>
public sealed class TokenShardWriter : ITokenSink, IDisposable
{
    private readonly List<string> _completed = [];
    private TokenWriter? _current;
    private bool _finished;

    private TokenShardWriter(string pathPattern, TokenFileFormat format, NpyDType dtype, long tokensPerShard, int firstIndex)
    {
        PathPattern = pathPattern;
        Format = format;
        DType = dtype;
        TokensPerShard = tokensPerShard;
        NextIndex = firstIndex;
    }

    /// <summary>The shard path pattern; <c>{0}</c> is the shard index.</summary>
    public string PathPattern { get; }

    /// <summary>The shards' format.</summary>
    public TokenFileFormat Format { get; }

    /// <summary>The stored token type.</summary>
    public NpyDType DType { get; }

    /// <summary>The most tokens a shard holds.</summary>
    public long TokensPerShard { get; }

    /// <summary>Tokens written so far, over all shards.</summary>
    public long Count { get; private set; }

    /// <summary>The shards completed so far, in order.</summary>
    public IReadOnlyList<string> CompletedPaths => _completed;

    private int NextIndex { get; set; }

    /// <summary>Starts writing shards.</summary>
    /// <param name="pathPattern">The shard paths: a format string with the shard index as <c>{0}</c>, such as <c>out/train_{0:D6}.bin</c>.</param>
    /// <param name="format">The shards' format.</param>
    /// <param name="dtype">The token type (see <see cref="TokenWriter.Create"/>).</param>
    /// <param name="tokensPerShard">The most tokens per shard; at most <see cref="int.MaxValue"/> for llm.c shards.</param>
    /// <param name="firstIndex">The index of the first shard (llm.c's scripts start training shards at 1, after the validation shard 0).</param>
    /// <returns>The writer; dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="pathPattern"/> is empty or does not vary with <c>{0}</c>, or the dtype does not fit the format.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokensPerShard"/> is not positive (or too large for llm.c), or <paramref name="firstIndex"/> is negative.</exception>
    public static TokenShardWriter Create(string pathPattern, TokenFileFormat format, NpyDType dtype, long tokensPerShard, int firstIndex = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathPattern);
        ArgumentNullException.ThrowIfNull(dtype);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerShard);
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        if (format == TokenFileFormat.Llmc)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(tokensPerShard, int.MaxValue);
            _ = LlmcShardHeader.For(dtype, 0);
        }
        string a, b;
        try
        {
            a = string.Format(CultureInfo.InvariantCulture, pathPattern, 0);
            b = string.Format(CultureInfo.InvariantCulture, pathPattern, 1);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(Messages.Format(Messages.ShardPatternInvalid, pathPattern, e.Message), nameof(pathPattern), e);
        }
        if (a == b)
            throw new ArgumentException(Messages.Format(Messages.ShardPatternNoIndex, pathPattern), nameof(pathPattern));
        return new TokenShardWriter(pathPattern, format, dtype, tokensPerShard, firstIndex);
    }

    /// <summary>Appends tokens, completing each shard as it fills.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">A token does not fit the dtype (nothing of this call is written).</exception>
    /// <exception cref="InvalidOperationException">The writer is completed or disposed.</exception>
    public void Write(ReadOnlySpan<long> tokens)
    {
        ThrowIfFinished();
        // Checked before any shard is written to, so a bad token leaves every shard as it was.
        (long min, long max) = TokenWriter.Range(DType);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] < min || tokens[i] > max)
                ThrowHelper.ArgumentOutOfRange(nameof(tokens), tokens[i], Messages.ShardTokenOutsideDType, i, tokens[i], min, max, DType, PathPattern);
        }
        while (!tokens.IsEmpty)
        {
            TokenWriter current = _current ??= TokenWriter.Create(ShardPath(NextIndex), Format, DType);
            int n = (int)Math.Min(tokens.Length, TokensPerShard - current.Count);
            current.Write(tokens[..n]);
            Count += n;
            tokens = tokens[n..];
            if (current.Count == TokensPerShard)
                CompleteCurrent();
        }
    }

    /// <summary>Appends tokens, completing each shard as it fills.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">A token does not fit the dtype.</exception>
    /// <exception cref="InvalidOperationException">The writer is completed or disposed.</exception>
    public void Write(ReadOnlySpan<int> tokens)
    {
        Span<long> chunk = stackalloc long[256];
        while (!tokens.IsEmpty)
        {
            int n = Math.Min(chunk.Length, tokens.Length);
            for (int i = 0; i < n; i++)
                chunk[i] = tokens[i];
            Write(chunk[..n]);
            tokens = tokens[n..];
        }
    }

    /// <summary>Completes the last shard, if it holds tokens (or if no shard was written at all, an empty first shard).</summary>
    /// <exception cref="InvalidOperationException">The writer is already completed, or disposed.</exception>
    /// <exception cref="IOException">A file cannot be written or moved.</exception>
    public void Complete()
    {
        ThrowIfFinished();
        if (_current is not null || _completed.Count == 0)
        {
            _current ??= TokenWriter.Create(ShardPath(NextIndex), Format, DType);
            CompleteCurrent();
        }
        _finished = true;
    }

    /// <summary>Stops writing; a shard in progress is deleted, completed shards stay.</summary>
    public void Dispose()
    {
        _current?.Dispose();
        _current = null;
        _finished = true;
    }

    private string ShardPath(int index) => string.Format(CultureInfo.InvariantCulture, PathPattern, index);

    private void CompleteCurrent()
    {
        TokenWriter current = _current!;
        _current = null;
        using (current)
            current.Complete();
        _completed.Add(current.Path);
        NextIndex++;
    }

    private void ThrowIfFinished()
    {
        if (_finished)
            throw new InvalidOperationException(Messages.Format(Messages.ShardWriterClosed, PathPattern));
    }
}
