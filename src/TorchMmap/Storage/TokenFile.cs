using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// One mapped file of tokens: a headerless (raw) file such as nanoGPT's <c>train.bin</c>, a 1-D integer .npy file, or an llm.c
/// shard. The tokens are a 1-D array mapped through the same storage path as <see cref="NpyArray"/>; nothing is loaded.
/// </summary>
/// <remarks>The caller says which format a file has; it is never guessed. Dispose unmaps the file. Reads are thread safe.</remarks>
public sealed class TokenFile : IDisposable
{
    private TokenFile(NpyArray array, TokenFileFormat format, LlmcShardHeader? llmcHeader)
    {
        Array = array;
        Format = format;
        LlmcHeader = llmcHeader;
    }

    /// <summary>The file.</summary>
    public string Path => Array.Path;

    /// <summary>How the file stores its tokens.</summary>
    public TokenFileFormat Format { get; }

    /// <summary>The stored token type (widened to int64 when read).</summary>
    public NpyDType DType => Array.DType;

    /// <summary>The number of tokens.</summary>
    public long Count => Array.Length;

    /// <summary>The header of an llm.c shard; null for other formats.</summary>
    public LlmcShardHeader? LlmcHeader { get; }

    /// <summary>The file offset of the first token.</summary>
    public long DataStart => Array.DataStart;

    /// <summary>The mapped 1-D token array.</summary>
    internal NpyArray Array { get; }

    /// <summary>Opens a token file of the given format.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">Its format.</param>
    /// <param name="dtype">For <see cref="TokenFileFormat.Raw"/>: the token type as NumPy names it (<c>uint16</c>, <c>&lt;u4</c>, <c>uint64</c>, ...);
    /// null means little-endian uint16, nanoGPT's. Must be null for the other formats, which record their type.</param>
    /// <returns>The mapped file; dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty, or <paramref name="dtype"/> is given for a format that records its own,
    /// or names no integer dtype.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not defined.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid file of that format.</exception>
    /// <exception cref="NotSupportedException">A .npy file's dtype cannot be loaded.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static TokenFile Open(string path, TokenFileFormat format, string? dtype = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (dtype is not null && format != TokenFileFormat.Raw)
            throw new ArgumentException(Messages.Format(Messages.TokenFileRecordsDType, format, dtype), nameof(dtype));
        return format switch
        {
            TokenFileFormat.Raw => OpenRaw(path, dtype is null ? LlmcShardHeader.LittleUInt16 : ParseDType(dtype)),
            TokenFileFormat.Npy => OpenNpy(path),
            TokenFileFormat.Llmc => OpenLlmc(path),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, Messages.TokenFormatUnknown),
        };
    }

    /// <summary>Opens nanoGPT's <c>train.bin</c>/<c>val.bin</c>: headerless little-endian uint16 tokens.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The mapped file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is empty or its length is odd.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static TokenFile OpenNanoGpt(string path) => OpenRaw(path, LlmcShardHeader.LittleUInt16);

    /// <summary>Opens a headerless file of tokens, as <c>np.memmap(path, dtype, mode='r', offset=offset)</c>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="dtype">An integer dtype (any width and byte order).</param>
    /// <param name="offset">The file offset of the first token.</param>
    /// <returns>The mapped file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty, or <paramref name="dtype"/> is not an integer type.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    /// <exception cref="InvalidDataException">The file is empty, or the bytes after the offset are not a whole number of tokens.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static TokenFile OpenRaw(string path, NpyDType dtype, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        if (dtype.Kind is not (NpyKind.SignedInteger or NpyKind.UnsignedInteger))
            throw new ArgumentException(Messages.Format(Messages.TokenDTypeNotIntegerArgument, dtype), nameof(dtype));
        return new TokenFile(NpyArray.OpenRaw(path, dtype, NpyMode.ReadOnly, offset), TokenFileFormat.Raw, null);
    }

    /// <summary>Opens a 1-D integer .npy file of tokens.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The mapped file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid .npy file, or its array is not 1-D integers.</exception>
    /// <exception cref="NotSupportedException">The dtype cannot be loaded (uint64 .npy files: open their data as raw at the header's offset).</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static TokenFile OpenNpy(string path)
    {
        NpyArray array = NpyArray.Open(path);
        try
        {
            if (array.Rank != 1)
                throw new InvalidDataException(Messages.Format(Messages.TokenArrayNot1D, path, array.Rank, array.Header.FormatShape()));
            if (array.DType.Kind is not (NpyKind.SignedInteger or NpyKind.UnsignedInteger))
                throw new InvalidDataException(Messages.Format(Messages.TokenDTypeNotInteger, path, array.DType));
            return new TokenFile(array, TokenFileFormat.Npy, null);
        }
        catch
        {
            array.Dispose();
            throw;
        }
    }

    /// <summary>Opens an llm.c token shard (GPT-2 uint16 or Llama 3 uint32 tokens), validating its header as llm.c does.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The mapped file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="InvalidDataException">The file is shorter than the header, has an unknown magic or version, or is not exactly the header
    /// plus the counted tokens.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static TokenFile OpenLlmc(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LlmcShardHeader header = LlmcShardHeader.Read(path);
        NpyArray array = NpyArray.OpenRaw(path, header.DType, NpyMode.ReadOnly, LlmcShardHeader.DataOffset, [header.TokenCount]);
        return new TokenFile(array, TokenFileFormat.Llmc, header);
    }

    /// <summary>Parses a token dtype as NumPy spells it: a name (<c>uint16</c>, <c>int32</c>, ...) or a type string (<c>&lt;u2</c>, <c>&gt;u4</c>, <c>u8</c>).</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>The dtype; uint64 is allowed here (tokens above 2^63 are refused when read).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not an integer dtype.</exception>
    public static NpyDType ParseDType(string dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        string descr = dtype switch
        {
            "uint8" => "|u1",
            "int8" => "|i1",
            "uint16" => "<u2",
            "int16" => "<i2",
            "uint32" => "<u4",
            "int32" => "<i4",
            "uint64" => "<u8",
            "int64" => "<i8",
            _ => dtype,
        };
        // uint64 is refused by the tensor paths; the token layer widens it with a range check.
        if (descr is "u8" or "<u8" or "=u8" or "|u8" or ">u8")
            return NpyDType.UInt64Tokens(descr[0] == '>' ? NpyByteOrder.Big : descr[0] == '<' ? NpyByteOrder.Little : BitConverter.IsLittleEndian ? NpyByteOrder.Little : NpyByteOrder.Big);
        if (!NpyDType.TryParse(descr, out NpyDType? parsed) || parsed.Kind is not (NpyKind.SignedInteger or NpyKind.UnsignedInteger))
            throw new ArgumentException(Messages.Format(Messages.TokenDTypeNameNotInteger, dtype), nameof(dtype));
        return parsed;
    }

    /// <summary>Unmaps the file. Calling it again does nothing.</summary>
    public void Dispose() => Array.Dispose();

    /// <summary>Returns the path, format, dtype and count.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"{Path}: {Format} {DType} x {Count}";
}
