namespace TorchMmap.Data;

/// <summary>How <see cref="PackedDocumentDataset"/> lays documents into sequences of T + 1 tokens.</summary>
public enum PackingMode
{
    /// <summary>Megatron-LM / GPT-NeoX: the documents in order as one stream, cut every T tokens; documents are split freely and
    /// nothing is padded (the last partial sequence is dropped).</summary>
    Split,

    /// <summary>NanoGPT speedrun: every sequence starts at a document start (a document longer than a sequence continues in the
    /// next ones); the tail of a document cut by a sequence's end is dropped; the last sequence is padded.</summary>
    Aligned,

    /// <summary>OLMo-style best-fit decreasing: no document piece is split (documents longer than T + 1 tokens are first cut into
    /// pieces of T + 1); sequences are padded.</summary>
    BestFit,
}
