namespace TorchMmap.Data;

/// <summary>A piece of one document placed in a packed sequence: <paramref name="Length"/> tokens of row <paramref name="Row"/>
/// from <paramref name="Offset"/>. Consecutive segments of a sequence are different documents (or different occurrences).</summary>
/// <param name="Row">The document (row of the ragged array).</param>
/// <param name="Offset">The first token within the document.</param>
/// <param name="Length">The number of tokens.</param>
public readonly record struct DocumentSegment(long Row, long Offset, int Length);
