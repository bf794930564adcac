using System.Buffers.Binary;
using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>The validated header of an llm.c token shard: magic, version, token count and the token type they imply.</summary>
/// <remarks>
/// <para>
/// Two formats exist: magic 20240520 with version 1 holds uint16 tokens (GPT-2), magic 20240801 with version 7 holds uint32
/// tokens (Llama 3); every other magic or version is refused. The header is 256 little-endian int32 values (1024 bytes);
/// values after the third are reserved.
/// </para>
/// <para>
/// The file must be exactly the header plus the counted tokens. llm.c's reader (<c>llmc/dataloader.h</c>,
/// <c>dataloader_load_shard_</c>) compares the file size with <c>1024 + count * 2</c> and exits on any difference, so bytes
/// after the counted tokens are refused here too rather than ignored. That reader also asserts a positive count; a shard of
/// zero tokens is accepted here (it adds nothing to a stream), since llm.c's writer can produce one.
/// </para>
/// </remarks>
public sealed class LlmcShardHeader
{
    private LlmcShardHeader(int magic, int version, long tokenCount, NpyDType dtype)
    {
        Magic = magic;
        Version = version;
        TokenCount = tokenCount;
        DType = dtype;
    }

    /// <summary>The magic number: 20240520 or 20240801.</summary>
    public int Magic { get; }

    /// <summary>The version: 1 (with magic 20240520) or 7 (with magic 20240801).</summary>
    public int Version { get; }

    /// <summary>The number of tokens after the header.</summary>
    public long TokenCount { get; }

    /// <summary>The token type: little-endian uint16 (version 1) or uint32 (version 7).</summary>
    public NpyDType DType { get; }

    /// <summary>The file offset of the first token: 1024.</summary>
    public static long DataOffset => LlmcLayout.HeaderBytes;

    /// <summary>The header's size in bytes: 1024.</summary>
    public static int Length => LlmcLayout.HeaderBytes;

    /// <summary>The header of a GPT-2 shard (uint16 tokens) of <paramref name="tokenCount"/> tokens.</summary>
    /// <param name="tokenCount">The number of tokens, at most <see cref="int.MaxValue"/> (the field is an int32).</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokenCount"/> is negative or does not fit the field.</exception>
    public static LlmcShardHeader ForGpt2(long tokenCount) => Create(LlmcLayout.MagicGpt2, LlmcLayout.VersionGpt2, tokenCount);

    /// <summary>The header of a Llama 3 shard (uint32 tokens) of <paramref name="tokenCount"/> tokens.</summary>
    /// <param name="tokenCount">The number of tokens, at most <see cref="int.MaxValue"/>.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokenCount"/> is negative or does not fit the field.</exception>
    public static LlmcShardHeader ForLlama3(long tokenCount) => Create(LlmcLayout.MagicLlama3, LlmcLayout.VersionLlama3, tokenCount);

    /// <summary>The header for tokens of <paramref name="dtype"/>: GPT-2 for uint16, Llama 3 for uint32.</summary>
    /// <param name="dtype">Little-endian (or native) uint16 or uint32.</param>
    /// <param name="tokenCount">The number of tokens.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is neither.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokenCount"/> is negative or does not fit the field.</exception>
    public static LlmcShardHeader For(NpyDType dtype, long tokenCount)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        if (dtype.Equals(LittleUInt16))
            return ForGpt2(tokenCount);
        if (dtype.Equals(LittleUInt32))
            return ForLlama3(tokenCount);
        throw new ArgumentException(Messages.Format(Messages.LlmcDTypeUnsupported, dtype), nameof(dtype));
    }

    /// <summary>Parses and validates the first bytes of a shard.</summary>
    /// <param name="bytes">At least the file's first 1024 bytes (fewer means the file is shorter than a header).</param>
    /// <param name="name">The file, for messages.</param>
    /// <param name="fileLength">The file's length, checked against the count.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file is shorter than a header, the magic or version is unknown, the count is
    /// negative, or the file is not exactly the header plus the counted tokens.</exception>
    public static LlmcShardHeader Parse(ReadOnlySpan<byte> bytes, string name, long fileLength)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (bytes.Length < LlmcLayout.HeaderBytes || fileLength < LlmcLayout.HeaderBytes)
            throw new InvalidDataException(Messages.Format(Messages.LlmcTooShort, name, Math.Min(bytes.Length, fileLength), LlmcLayout.HeaderBytes));
        int magic = Field(bytes, LlmcLayout.MagicIndex);
        int version = Field(bytes, LlmcLayout.VersionIndex);
        int count = Field(bytes, LlmcLayout.TokenCountIndex);
        NpyDType dtype = magic switch
        {
            LlmcLayout.MagicGpt2 => LittleUInt16,
            LlmcLayout.MagicLlama3 => LittleUInt32,
            _ => throw new InvalidDataException(Messages.Format(Messages.LlmcBadMagic, name, magic)),
        };
        int expectedVersion = magic == LlmcLayout.MagicGpt2 ? LlmcLayout.VersionGpt2 : LlmcLayout.VersionLlama3;
        if (version != expectedVersion)
            throw new InvalidDataException(Messages.Format(Messages.LlmcBadVersion, name, version, magic, expectedVersion));
        if (count < 0)
            throw new InvalidDataException(Messages.Format(Messages.LlmcNegativeCount, name, count));
        long needed = LlmcLayout.HeaderBytes + (long)count * dtype.ItemSize;
        if (fileLength < needed)
            throw new InvalidDataException(Messages.Format(Messages.LlmcCountPastEnd, name, count, dtype.Descr, needed, fileLength));
        if (fileLength > needed)
            throw new InvalidDataException(Messages.Format(Messages.LlmcTrailingBytes, name, count, dtype.Descr, needed, fileLength - needed));
        return new LlmcShardHeader(magic, version, count, dtype);
    }

    /// <summary>Reads and validates the header of the shard at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid llm.c shard.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LlmcShardHeader Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = InputFile.Open(path);
        return Read(stream, path);
    }

    /// <summary>Encodes the header: 256 little-endian int32 values, the reserved ones zero.</summary>
    /// <param name="destination">At least 1024 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < LlmcLayout.HeaderBytes)
            throw new ArgumentException(Messages.Format(Messages.DestinationTooSmall, LlmcLayout.HeaderBytes), nameof(destination));
        destination[..LlmcLayout.HeaderBytes].Clear();
        BinaryPrimitives.WriteInt32LittleEndian(destination[(LlmcLayout.MagicIndex * 4)..], Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[(LlmcLayout.VersionIndex * 4)..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(destination[(LlmcLayout.TokenCountIndex * 4)..], checked((int)TokenCount));
    }

    /// <summary>The header as 1024 bytes.</summary>
    /// <returns>A new array.</returns>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[LlmcLayout.HeaderBytes];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Describes the header, e.g. <c>llm.c v1 (uint16): 1000 tokens</c>.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"llm.c magic {Magic} version {Version} ({DType}): {TokenCount} tokens";

    // Reads the first 1024 bytes of an open stream (positioned at 0) and validates them against its length.
    internal static LlmcShardHeader Read(Stream stream, string name)
    {
        Span<byte> header = stackalloc byte[LlmcLayout.HeaderBytes];
        int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return Parse(header[..got], name, stream.Length);
    }

    internal static NpyDType LittleUInt16 { get; } = NpyDType.Parse("<u2");

    internal static NpyDType LittleUInt32 { get; } = NpyDType.Parse("<u4");

    private static int Field(ReadOnlySpan<byte> bytes, int index) => BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(index * sizeof(int), sizeof(int)));

    private static LlmcShardHeader Create(int magic, int version, long tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokenCount, int.MaxValue);
        return new LlmcShardHeader(magic, version, tokenCount, magic == LlmcLayout.MagicGpt2 ? LittleUInt16 : LittleUInt32);
    }
}
