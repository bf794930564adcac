using System.Globalization;

namespace TorchMmap.Internal;

/// <summary>Every message the library throws, by name, so wording stays consistent and each one names the file.</summary>
internal static partial class Messages
{
    public const string EmptyFile = "'{0}' is empty: a .npy file starts with a {1}-byte preamble.";
    public const string FileTooShort = "'{0}' is {1} bytes long, too short for a .npy preamble ({2} bytes).";
    public const string BadMagic = "'{0}' is not a .npy file: the first 6 bytes are {1}, expected 93-4E-55-4D-50-59 (\\x93NUMPY) at offset 0.";
    public const string UnknownVersion = "'{0}' has .npy format version {1}.{2} at offset 6; only 1.0, 2.0 and 3.0 exist.";
    public const string HeaderPastEnd = "'{0}': the header length at offset 8 says {1} bytes, but only {2} bytes follow the preamble.";
    public const string HeaderTooLong = "'{0}': the header is {1} bytes, over the limit of {2} (NumPy's max_header_size); raise NpyReadOptions.MaxHeaderLength if the file is trusted.";
    public const string HeaderNotText = "'{0}': the header at offset {1} is not valid {2} text.";
    public const string HeaderSyntax = "'{0}': the header is not a Python literal dict: {1} at header offset {2} (file offset {3}).";
    public const string HeaderNotDict = "'{0}': the header is not a dict but {1}.";
    public const string HeaderKeys = "'{0}': the header must have exactly the keys 'descr', 'fortran_order' and 'shape'; it has {1}.";
    public const string HeaderDuplicateKey = "'{0}': the header names the key '{1}' twice.";
    public const string DescrNotString = "'{0}': 'descr' must be a string; it is {1}.";
    public const string FortranNotBool = "'{0}': 'fortran_order' must be True or False; it is {1}.";
    public const string ShapeNotTuple = "'{0}': 'shape' must be a tuple of integers; it is {1}.";
    public const string ShapeNegative = "'{0}': dimension {1} of the shape is {2}; dimensions cannot be negative.";
    public const string ShapeOverflow = "'{0}': the shape {1} of {2} holds more bytes than a 64-bit offset can address.";
    public const string DataTooShort = "'{0}': the shape {1} of {2} needs {3} bytes of data from offset {4}, but the file has only {5}.";
    public const string DescrUnknown = "'{0}': the descr '{1}' is not a NumPy dtype this reader knows.";
    public const string DescrUnsupported = "'{0}': the dtype '{1}' cannot be loaded: {2}.";
    public const string NpzNotZip = "'{0}' is not an .npz (zip) archive: {1}.";
    public const string NpzBadEntry = "'{0}': the archive entry '{1}' is malformed: {2}.";
    public const string NpzNotOneArray = "'{0}' is an .npz archive of {1} arrays ({2}), not one array: load it with Npy.LoadNpz, or one array with Npy.LoadNpz(path, name).";
    public const string NpzNoEntry = "'{0}' has no array named '{1}'.";
    public const string NpzCompressed = "'{0}': the entry '{1}' is compressed (method {2}) and cannot be memory-mapped; load it with Npy.LoadNpz, or write the archive with np.savez (not savez_compressed).";
    public const string NpzReadWrite = "'{0}': the entry '{1}' cannot be mapped read-write: writes would leave its zip CRC-32 stale and the archive unreadable to NumPy. Map it ReadOnly or CopyOnWrite, or extract it to a .npy file first.";
    public const string NotRegularFile = "'{0}' is {1}; this writer can only replace a regular file.";
    public const string TooManyLinks = "'{0}': more than {1} symbolic links to follow (a loop?).";
    public const string ReserveFailed = "'{0}': cannot reserve {1} bytes on the disk: {2}";
    public const string StatFailed = "'{0}': cannot read the file's status: {1}";
    public const string WriterFailed = "The writer for '{0}' failed earlier ({1}); it accepts nothing more. Dispose it and start again.";
    public const string IndexOutOfRange = "Index {0} at position {1} is out of range for {2}, which has {3} {4}.";
    public const string CompressedDataCorrupt = "{0}: the compressed data is corrupt at decompressed byte {1}: {2}";
    public const string NpzImplausibleSize = "it declares {0} bytes, more than its {1} deflated bytes can hold (deflate expands at most {2}:1)";
    public const string IdxFormatBadMagic = "'{0}' is not an IDX file: the first two bytes are {1:X2}-{2:X2} at offset 0, expected 00-00.";
    public const string IdxBadType = "'{0}': the element type code 0x{1:X2} at offset 2 is not an IDX type (0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E).";
    public const string IdxNoDimensions = "'{0}': the IDX header at offset 3 declares no dimensions.";
    public const string IdxNegativeDimension = "'{0}': dimension {1} at offset {2} is {3}; dimensions cannot be negative.";
    public const string IdxShapeOverflow = "'{0}': the IDX shape ({1}) overflows a 64-bit byte count (its non-zero dimensions times the item size; NumPy refuses such shapes even when empty).";
    public const string IdxHeaderTruncated = "'{0}' ends at offset {1}, inside the IDX header ({2} more bytes expected).";
    public const string IdxDataTruncated = "'{0}' ends at data byte {1} (file offset {2} of the {3}data), inside row {4} of {5}; the header says {6} data bytes.";
    public const string IdxTrailingCompressed = "'{0}' has bytes after the {1} data bytes its IDX header describes (shape {2} of {3}).";
    public const string IdxFileTooShort = "'{0}' is {1} bytes long, but its IDX header (shape {2} of {3}) needs {4}.";
    public const string IdxTrailing = "'{0}' has {1} bytes after the data its IDX header describes (shape {2} of {3}), from offset {4}.";
    public const string IdxRowTooLarge = "'{0}' has rows of {1} bytes (shape {2}), more than the converter can buffer ({3} bytes).";
    public const string StreamDataTruncated = "'{0}' ends after {1} of the {2} data bytes its header promises.";
    public const string WriterRowsType = "The rows are {0}; '{1}' is written as {2}, which takes {3}.";
    public const string WriterRowsShape = "The rows have shape {0}; rows of '{1}' have shape {2}.";
    public const string WriterRowsDevice = "The rows must be on the CPU; they are on {0}.";
    public const string WriterElementSize = "{0} is {1} bytes; elements of {2} are {3}.";
    public const string WriterPartialRow = "{0} values are not a whole number of rows of {1} elements.";
    public const string WriterRowsHaveElements = "Rows of the writer for '{0}' have elements; append their data instead.";
    public const string WriterCompleted = "The writer for '{0}' is already completed.";
    public const string WriterDisposed = "The writer for '{0}' has been disposed.";
    public const string ZeroDimensionalNoRows = "'{0}' holds a 0-d array, which has no rows.";
    public const string FileChanged = "'{0}' changed while it was mapped: it is now {1} bytes, but the array needs {2}. Reopen the file.";
    public const string FileChangedDuringCopy = "'{0}' changed while it was mapped: a page the copy needed is no longer backed by the file (it is now {1} bytes; the array needs {2}). Reopen the file.";
    public const string MapFailed = "'{0}' ({1} bytes) cannot be memory-mapped: {2}";
    public const string CopyFailed = "'{0}': copying through the mapping failed: {1} (errno {2}).";

    public const string RawEmpty = "'{0}' is empty: an empty file cannot be memory-mapped (np.memmap refuses it too).";
    public const string RawOffsetPastEnd = "'{0}': the offset {1} is past the end of the file ({2} bytes).";
    public const string RawNotWholeElements = "'{0}': the {1} bytes after offset {2} are not a whole number of {3} elements ({4} bytes each); give the shape, or the right dtype and offset.";
    public const string RawShapeInvalid = "The shape {0} for '{1}' is invalid: {2}.";
    public const string NotRegularInput = "'{0}' is {1}, not a regular file; arrays are read only from regular files.";
    public const string LoadTooLarge = "'{0}': loading {1} needs {2:N0} bytes, more than the {3:N0} bytes of memory this machine has for the process; map it with NpyArray.Open and read rows instead.";
    public const string LoadAllocationFailed = "'{0}': loading {1} needs {2:N0} bytes, which could not be allocated: {3}";
    public const string RawIsDirectory = "'{0}' is a directory, not a file.";

    public const string LlmcTooShort = "'{0}' is {1} bytes long, too short for an llm.c shard header ({2} bytes).";
    public const string LlmcBadMagic = "'{0}' is not an llm.c token shard: the magic at offset 0 is {1}, expected 20240520 (uint16 tokens) or 20240801 (uint32 tokens).";
    public const string LlmcBadVersion = "'{0}': the llm.c shard version at offset 4 is {1}; magic {2} goes with version {3}.";
    public const string LlmcNegativeCount = "'{0}': the token count at offset 8 is {1}; it cannot be negative.";
    public const string LlmcCountPastEnd = "'{0}': the header counts {1} {2} tokens, which need {3} bytes, but the file has only {4}.";
    public const string LlmcTrailingBytes = "'{0}': the header counts {1} {2} tokens ({3} bytes with the header), but {4} more bytes follow; llm.c refuses such a shard.";
    public const string TokenArrayNot1D = "'{0}' holds a {1}-d array of shape {2}; token files are 1-d.";
    public const string TokenDTypeNotInteger = "'{0}' holds {1} values; tokens are integers (uint8, uint16, uint32, uint64, int16, int32 or int64).";
    public const string TokenTooLarge = "'{0}': token {1} is {2}, larger than an int64 token id can hold.";

    public static string Format(string template, params object?[] args) => string.Format(CultureInfo.InvariantCulture, template, args);
}
