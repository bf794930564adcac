namespace TorchMmap.Internal;

internal static partial class Messages
{
    public const string RaggedValuesNot1D = "'{0}' holds a {1}-d array of shape {2}; the values of a ragged array are 1-d.";
    public const string RaggedIndexNot1D = "'{0}' holds a {1}-d array of shape {2}; ragged {3} are 1-d.";
    public const string RaggedIndexNotInteger = "'{0}' holds {1} values; ragged {2} are integers.";
    public const string RaggedOffsetsEmpty = "'{0}' holds no offsets; a ragged array of n rows has n + 1 offsets (a single 0 for no rows).";
    public const string RaggedOffsetOutside = "'{0}': offset {1} at position {2} is outside the values array '{3}' of {4} elements.";
    public const string RaggedOffsetDecreases = "'{0}': offset {1} at position {2} is less than offset {3} before it; offsets must not decrease.";
    public const string RaggedLengthNegative = "'{0}': length {1} at position {2} is negative.";
    public const string RaggedLengthsPastEnd = "'{0}': the lengths up to position {1} add up to {2} elements, more than the {3} of the values array '{4}'.";

    public const string IdxTooShort = "'{0}' is {1} bytes long, too short for a Megatron index header ({2} bytes).";
    public const string IdxBadMagic = "'{0}' is not a Megatron indexed-dataset index: the first 9 bytes are {1}, expected 4D-4D-49-44-49-44-58-00-00 (MMIDIDX\\0\\0) at offset 0.";
    public const string IdxBadVersion = "'{0}': the index version at offset 9 is {1}; only version 1 exists.";
    public const string IdxBadDTypeCode = "'{0}': the dtype code at offset 17 is {1}; codes 1 to 8 exist.";
    public const string IdxCountsTooLarge = "'{0}': {1} sequences and {2} document indices need {3} bytes of index, more than a 64-bit file holds.";
    public const string IdxLengthMismatch = "'{0}' is {1} bytes long; {2} sequences and {3} document indices{4} need exactly {5}.";
    public const string IdxLengthMismatchModes = "'{0}' is {1} bytes long; {2} sequences and {3} document indices need {4}, and the {2} bytes after them would be the int8 modes of a multimodal index: open it with multimodal: true.";
    public const string IdxNoDocuments = "'{0}': the document count at offset 26 is 0; the document indices start with 0 and end with the sequence count, so there is at least one.";
    public const string IdxNegativeLength = "'{0}': sequence {1} has length {2} (int32 at offset {3}); lengths cannot be negative.";
    public const string IdxPointerMisaligned = "'{0}': sequence {1} starts at byte {2} of the data file (int64 at offset {3}), which is not a multiple of the {4}-byte item size.";
    public const string IdxSequenceOutside = "'{0}': sequence {1} spans bytes [{2}, {3}) of '{4}', which has {5} bytes.";
    public const string IdxDocumentFirst = "'{0}': the first document index (offset {1}) is {2}; it must be 0.";
    public const string IdxDocumentLast = "'{0}': the last document index (offset {1}) is {2}; it must be the sequence count, {3}.";
    public const string IdxDocumentDecreases = "'{0}': document index {1} at position {2} (offset {3}) is less than {4} before it; document indices must not decrease.";
    public const string IdxBinNotWhole = "'{0}' is {1} bytes long, not a whole number of {2} items of {3} bytes.";

    public const string GptIndexShape = "'{0}' holds an array of shape {1}; {2}.";
    public const string GptIndexNotInteger = "'{0}' holds {1} values; a GPTDataset index holds integers.";
    public const string GptDocumentOutside = "'{0}': entry {1} is {2}, but the indexed dataset has {3} sequences.";
    public const string GptSampleOutside = "'{0}': sample boundary {1} is ({2}, {3}), outside the document index of {4} entries (or past the end of its sequence of {5} tokens).";
    public const string GptSampleDecreases = "'{0}': sample boundary {1} ({2}, {3}) comes before boundary {4} ({5}, {6}); boundaries must not go backwards.";
    public const string GptSampleLength = "'{0}': sample {1} spans {2} tokens, but a sample of sequence length {3} spans {4}.";
    public const string GptShuffleLength = "'{0}' holds {1} entries; the sample index '{2}' describes {3} samples.";
    public const string GptShuffleOutside = "'{0}': entry {1} is {2}, outside the {3} samples of the sample index.";
}
