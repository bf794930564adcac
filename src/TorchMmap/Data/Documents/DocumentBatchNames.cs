namespace TorchMmap.Data;

/// <summary>The names of the tensors in a batch of documents (packed, padded or token-budget).</summary>
public static class DocumentBatchNames
{
    /// <summary>Input tokens, int64 <c>(B, T)</c>; padding holds the dataset's pad token.</summary>
    public const string Input = "x";

    /// <summary>Target tokens, int64 <c>(B, T)</c>: the next token of the same document, or the ignore index (default -100, as
    /// <c>cross_entropy</c>'s) where there is none (a document's last token, padding).</summary>
    public const string Target = "y";

    /// <summary>Per-token document (row of the ragged array), int64 <c>(B, T)</c>; -1 for padding. Packed layouts only.</summary>
    public const string DocumentIds = "document_ids";

    /// <summary>Per-token position within its document piece, int64 <c>(B, T)</c>: restarting at 0 at each document; 0 for padding.</summary>
    public const string PositionIds = "position_ids";

    /// <summary>1 where the target is trained, 0 elsewhere, float32 <c>(B, T)</c>.</summary>
    public const string LossMask = "loss_mask";

    /// <summary>Boundaries of the documents within each sequence, int32 <c>(B, T + 1)</c>: 0, the end of each document piece (and of the
    /// padding, which is a segment of its own), then T repeated; as flash-attention's <c>cu_seqlens</c> per sequence.</summary>
    public const string CuSeqlens = "cu_seqlens";

    /// <summary>Tokens per row, int64 <c>(B)</c>. Padded layouts only.</summary>
    public const string Lengths = "lengths";

    /// <summary>True at real tokens, bool <c>(B, L)</c>. Padded layouts only.</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>The document of each row, int64 <c>(B)</c>. Padded layouts only.</summary>
    public const string Documents = "documents";
}
