namespace TorchMmap.Format;

/// <summary>
/// The layout of an llm.c token shard, as llm.c's <c>dev/data/data_common.py</c> writes it and <c>llmc/dataloader.h</c>
/// reads it: 256 little-endian int32 values, then the tokens.
/// </summary>
internal static class LlmcLayout
{
    /// <summary>The header holds this many int32 values.</summary>
    public const int HeaderInts = 256;

    /// <summary>The header's size in bytes; the tokens start here.</summary>
    public const int HeaderBytes = HeaderInts * sizeof(int);

    public const int MagicIndex = 0;
    public const int VersionIndex = 1;
    public const int TokenCountIndex = 2;

    /// <summary>GPT-2 shards: uint16 tokens, version 1.</summary>
    public const int MagicGpt2 = 20240520;
    public const int VersionGpt2 = 1;

    /// <summary>Llama 3 shards: uint32 tokens, version 7.</summary>
    public const int MagicLlama3 = 20240801;
    public const int VersionLlama3 = 7;
}
