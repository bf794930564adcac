using System.Buffers;
using System.Buffers.Binary;
using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// Streams tokens into a new token file of any format — an llm.c shard, a headerless file (nanoGPT's <c>.bin</c> is
/// little-endian uint16), or a 1-D .npy file — whose length need not be known in advance. The file appears at its path only
/// when <see cref="Complete"/> succeeds, with its header (llm.c's count, .npy's shape) fixed up then.
/// </summary>
/// <remarks>
/// Crash-safe as <see cref="NpyWriter"/>: tokens go to a temporary file beside the target, which a writer disposed (or a process
/// that dies) before completing leaves behind nowhere; any previous file at the path stays untouched. Every token is checked to
/// fit the dtype before any of a call's tokens are written. Not thread safe.
/// </remarks>
public sealed class TokenWriter : ITokenSink, IDisposable
{
    private const int BufferSize = 1 << 20;
    private const int ChunkTokens = 1 << 16;

    private readonly PendingFile? _file;        // raw and llm.c files
    private readonly NpyWriter? _npy;           // .npy files
    private bool _completed;
    private bool _disposed;

    private TokenWriter(string path, TokenFileFormat format, NpyDType dtype, PendingFile? file, NpyWriter? npy)
    {
        Path = path;
        Format = format;
        DType = dtype;
        _file = file;
        _npy = npy;
        (MinValue, MaxValue) = Range(dtype);
    }

    /// <summary>The final path of the file.</summary>
    public string Path { get; }

    /// <summary>The temporary file being written until <see cref="Complete"/> (hidden, beside <see cref="Path"/>).</summary>
    public string TempPath => _npy?.TempPath ?? _file!.TempPath;

    /// <summary>The file's format.</summary>
    public TokenFileFormat Format { get; }

    /// <summary>The stored token type.</summary>
    public NpyDType DType { get; }

    /// <summary>Tokens written so far.</summary>
    public long Count { get; private set; }

    /// <summary>True once <see cref="Complete"/> has succeeded.</summary>
    public bool IsCompleted => _completed;

    /// <summary>The smallest token the dtype holds.</summary>
    public long MinValue { get; }

    /// <summary>The largest token the dtype holds (for uint64, the largest int64).</summary>
    public long MaxValue { get; }

    /// <summary>Starts a new token file.</summary>
    /// <param name="path">The final path; an existing file there is replaced only on <see cref="Complete"/>.</param>
    /// <param name="format">The format.</param>
    /// <param name="dtype">The token type: for llm.c little-endian uint16 (GPT-2, magic 20240520) or uint32 (Llama 3, magic 20240801);
    /// for raw and .npy files any integer dtype and byte order.</param>
    /// <returns>The writer; dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty, or <paramref name="dtype"/> is not an integer type the format holds.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not defined.</exception>
    /// <exception cref="IOException">The temporary file cannot be created.</exception>
    public static TokenWriter Create(string path, TokenFileFormat format, NpyDType dtype)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(dtype);
        if (dtype.Kind is not (NpyKind.SignedInteger or NpyKind.UnsignedInteger))
            throw new ArgumentException(Messages.Format(Messages.TokenDTypeNotIntegerArgument, dtype), nameof(dtype));
        switch (format)
        {
            case TokenFileFormat.Llmc:
                _ = LlmcShardHeader.For(dtype, 0);
                return new TokenWriter(path, format, dtype, PendingFile.Create(path, LlmcShardHeader.Length, BufferSize), null);
            case TokenFileFormat.Raw:
                return new TokenWriter(path, format, dtype, PendingFile.Create(path, 0, BufferSize), null);
            case TokenFileFormat.Npy:
                return new TokenWriter(path, format, dtype, null, NpyWriter.Create(path, dtype, []));
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, Messages.TokenFormatUnknown);
        }
    }

    /// <summary>Starts nanoGPT's <c>.bin</c>: headerless little-endian uint16 tokens.</summary>
    /// <param name="path">The final path.</param>
    /// <returns>The writer.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="IOException">The temporary file cannot be created.</exception>
    public static TokenWriter CreateNanoGpt(string path) => Create(path, TokenFileFormat.Raw, LlmcShardHeader.LittleUInt16);

    /// <summary>Appends tokens.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">A token does not fit the dtype (nothing of this call is written).</exception>
    /// <exception cref="InvalidOperationException">The writer is completed, or an llm.c shard would exceed its int32 count.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void Write(ReadOnlySpan<int> tokens)
    {
        long[] buffer = ArrayPool<long>.Shared.Rent(Math.Min(tokens.Length, ChunkTokens));
        try
        {
            for (int done = 0; done < tokens.Length;)
            {
                int n = Math.Min(ChunkTokens, tokens.Length - done);
                for (int i = 0; i < n; i++)
                    buffer[i] = tokens[done + i];
                Check(buffer.AsSpan(0, n), done);
                done += n;
            }
            for (int done = 0; done < tokens.Length;)
            {
                int n = Math.Min(ChunkTokens, tokens.Length - done);
                for (int i = 0; i < n; i++)
                    buffer[i] = tokens[done + i];
                WriteChecked(buffer.AsSpan(0, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(buffer);
        }
    }

    /// <summary>Appends tokens.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">A token does not fit the dtype (nothing of this call is written).</exception>
    /// <exception cref="InvalidOperationException">The writer is completed, or an llm.c shard would exceed its int32 count.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void Write(ReadOnlySpan<long> tokens)
    {
        Check(tokens, 0);
        for (int done = 0; done < tokens.Length; done += ChunkTokens)
            WriteChecked(tokens.Slice(done, Math.Min(ChunkTokens, tokens.Length - done)));
    }

    /// <summary>Fixes up the header, flushes the file to disk and moves it to <see cref="Path"/>.</summary>
    /// <exception cref="InvalidOperationException">The writer is already completed, or a headerless file would hold no token
    /// (an empty file, which no reader can map); the writer then stays open for tokens.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    /// <exception cref="IOException">The file cannot be written or moved; the temporary file is then deleted.</exception>
    public void Complete()
    {
        ThrowIfNotWritable();
        if (Count == 0 && Format == TokenFileFormat.Raw)
            throw new InvalidOperationException(Messages.Format(Messages.TokenWriterEmpty, Path));
        if (_npy is not null)
            _npy.Complete();
        else if (Format == TokenFileFormat.Llmc)
            _file!.Commit(LlmcShardHeader.For(DType, Count).ToArray());
        else
            _file!.Commit([]);
        _completed = true;
    }

    /// <summary>Closes the writer; if it was not completed, deletes the temporary file and leaves <see cref="Path"/> as it was.</summary>
    public void Dispose()
    {
        _disposed = true;
        _file?.Dispose();
        _npy?.Dispose();
    }

    // Every token of a call is checked before any is written, so a bad token leaves the file as it was.
    private void Check(ReadOnlySpan<long> tokens, long offset)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] < MinValue || tokens[i] > MaxValue)
                ThrowHelper.ArgumentOutOfRange(nameof(tokens), tokens[i], Messages.TokenOutsideDType, offset + i, tokens[i], MinValue, MaxValue, DType, Path);
        }
    }

    private void WriteChecked(ReadOnlySpan<long> tokens)
    {
        ThrowIfNotWritable();
        if (Format == TokenFileFormat.Llmc && Count + tokens.Length > int.MaxValue)
            throw new InvalidOperationException(Messages.Format(Messages.LlmcShardFull, Path, int.MaxValue));
        int size = DType.ItemSize;
        byte[] bytes = ArrayPool<byte>.Shared.Rent(tokens.Length * size);
        try
        {
            Span<byte> encoded = bytes.AsSpan(0, tokens.Length * size);
            bool big = DType.ByteOrder == NpyByteOrder.Big;
            for (int i = 0; i < tokens.Length; i++)
            {
                Span<byte> at = encoded.Slice(i * size, size);
                long v = tokens[i];
                switch (size)
                {
                    case 1: at[0] = (byte)v; break;
                    case 2: if (big) BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)v); break;
                    case 4: if (big) BinaryPrimitives.WriteUInt32BigEndian(at, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)v); break;
                    default: if (big) BinaryPrimitives.WriteInt64BigEndian(at, v); else BinaryPrimitives.WriteInt64LittleEndian(at, v); break;
                }
            }
            if (_npy is not null)
                _npy.Append<byte>(encoded);
            else
                _file!.Stream.Write(encoded);
            Count += tokens.Length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void ThrowIfNotWritable()
    {
        if (_completed)
            throw new InvalidOperationException(Messages.Format(Messages.WriterCompleted, Path));
        if (_disposed)
            throw new ObjectDisposedException(nameof(TokenWriter), Messages.Format(Messages.WriterDisposed, Path));
    }

    // The token values a dtype holds (uint64 up to the largest int64, as tokens are read back as int64).
    internal static (long Min, long Max) Range(NpyDType dtype) => (dtype.Kind, dtype.ItemSize) switch
    {
        (NpyKind.UnsignedInteger, 1) => (0, byte.MaxValue),
        (NpyKind.UnsignedInteger, 2) => (0, ushort.MaxValue),
        (NpyKind.UnsignedInteger, 4) => (0, uint.MaxValue),
        (NpyKind.UnsignedInteger, _) => (0, long.MaxValue),
        (NpyKind.SignedInteger, 1) => (sbyte.MinValue, sbyte.MaxValue),
        (NpyKind.SignedInteger, 2) => (short.MinValue, short.MaxValue),
        (NpyKind.SignedInteger, 4) => (int.MinValue, int.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };
}
