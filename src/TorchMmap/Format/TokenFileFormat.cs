namespace TorchMmap.Format;

/// <summary>How a token file stores its tokens. The caller always says which: files are never guessed from their content or name.</summary>
public enum TokenFileFormat
{
    /// <summary>Headerless tokens of a given integer dtype, as <c>np.memmap</c> writes them: nanoGPT's <c>train.bin</c> (little-endian
    /// uint16) and OLMo's files (uint8/16/32/64, often named <c>.npy</c> though they have no header).</summary>
    Raw,

    /// <summary>A 1-D integer .npy file.</summary>
    Npy,

    /// <summary>An llm.c shard: a 1024-byte header (magic, version, token count) then uint16 or uint32 tokens.</summary>
    Llmc,
}
