using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// Writes a Megatron-LM indexed dataset (<c>prefix.bin</c> + <c>prefix.idx</c>) byte for byte as Megatron-core's
/// <c>IndexedDatasetBuilder</c> does: items appended to the <c>.bin</c> file, and on completion an <c>.idx</c> with the header,
/// the int32 sequence lengths, the int64 byte pointers (running sums of the lengths), the int64 document indices and, for a
/// multimodal dataset, the int8 modes.
/// </summary>
/// <remarks>
/// Crash-safe: both files are written beside their paths and moved into place only by <see cref="Complete"/>, which removes
/// any old <c>.idx</c> first, then moves the <c>.bin</c> and last the <c>.idx</c>. A writer disposed (or a process that dies)
/// before that leaves the old pair untouched; one that dies during the moves leaves no <c>.idx</c>, so a new <c>.bin</c> is never
/// read through an old index. Lengths, modes and document indices are kept in memory until completion (5 bytes per
/// sequence, 8 per document), as Megatron keeps them. Not thread safe.
/// </remarks>
public sealed class IndexedDatasetWriter : IDisposable
{
    private const int BufferSize = 1 << 20;

    private readonly List<int> _lengths = [];
    private readonly List<sbyte> _modes = [];
    private readonly List<long> _documents = [0];
    private readonly IndexedDatasetConvention _convention;
    private PendingFile? _bin;
    private readonly byte[] _scratch = new byte[BufferSize];
    private bool _completed;

    private IndexedDatasetWriter(string prefix, PendingFile bin, NpyDType dtype, IndexedDatasetConvention convention, bool multimodal)
    {
        Prefix = prefix;
        _bin = bin;
        DType = dtype;
        _convention = convention;
        Multimodal = multimodal;
    }

    /// <summary>The path prefix of the two files.</summary>
    public string Prefix { get; }

    /// <summary>The item type of the <c>.bin</c> file (little-endian).</summary>
    public NpyDType DType { get; }

    /// <summary>True when the index gets an int8 mode per sequence.</summary>
    public bool Multimodal { get; }

    /// <summary>Sequences added so far.</summary>
    public long SequenceCount => _lengths.Count;

    /// <summary>Documents ended so far.</summary>
    public long DocumentCount => _documents.Count - 1;

    /// <summary>Starts a new dataset at <c>prefix.bin</c> / <c>prefix.idx</c>.</summary>
    /// <param name="prefix">The path without extension; existing files there are replaced only by <see cref="Complete"/>.</param>
    /// <param name="dtype">The item type: uint8, int8, int16, uint16, int32, int64, float32 or float64 (uint16 for vocabularies under 65,500, as Megatron picks).</param>
    /// <param name="convention">Which dtype-code table to write (it matters for float32 and float64 only).</param>
    /// <param name="multimodal">True to write an int8 mode per sequence.</param>
    /// <returns>The writer; dispose it.</returns>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="NotSupportedException">The dtype has no Megatron code.</exception>
    /// <exception cref="IOException">The temporary file cannot be created.</exception>
    public static IndexedDatasetWriter Create(string prefix, NpyDType dtype, IndexedDatasetConvention convention, bool multimodal = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(dtype);
        if (!Enum.IsDefined(convention))
            throw new ArgumentOutOfRangeException(nameof(convention), convention, Messages.ConventionUnknown);
        byte code = IndexedDatasetHeader.CodeOf(dtype, convention);
        NpyDType stored = IndexedDatasetHeader.DTypeOf(code, convention)!;
        return new IndexedDatasetWriter(prefix, PendingFile.Create(prefix + ".bin", 0, BufferSize), stored, convention, multimodal);
    }

    /// <summary>Appends a sequence of integer items (token ids) to the current document, as Megatron's <c>add_item</c>.</summary>
    /// <param name="values">The items; each must fit the dtype.</param>
    /// <param name="mode">The sequence's mode (multimodal datasets only; 0 otherwise).</param>
    /// <exception cref="ArgumentException">The dtype is not an integer type, or a value does not fit it (nothing is written then).</exception>
    /// <exception cref="InvalidOperationException">The writer is completed, or a mode is given for a dataset without modes.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads take integer or float spans, so no call binds to both; the optional mode comes last in each, as in Megatron's add_item.")]
    public void AddSequence(ReadOnlySpan<long> values, sbyte mode = 0)
    {
        if (DType.Kind is not (NpyKind.SignedInteger or NpyKind.UnsignedInteger))
            throw new ArgumentException(Messages.Format(Messages.IndexedWriterAddDoubles, Prefix, DType), nameof(values));
        (long min, long max) = DType.ItemSize switch
        {
            1 => DType.Kind == NpyKind.SignedInteger ? (sbyte.MinValue, sbyte.MaxValue) : (0L, (long)byte.MaxValue),
            2 => DType.Kind == NpyKind.SignedInteger ? (short.MinValue, short.MaxValue) : (0L, (long)ushort.MaxValue),
            4 => (int.MinValue, int.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < min || values[i] > max)
                throw new ArgumentException(Messages.Format(Messages.IndexedWriterValueOutside, values[i], i, DType, Prefix), nameof(values));
        }
        PendingFile bin = BeginSequence(mode);
        int chunk = _scratch.Length / DType.ItemSize;
        for (int start = 0; start < values.Length; start += chunk)
        {
            ReadOnlySpan<long> part = values.Slice(start, Math.Min(chunk, values.Length - start));
            Span<byte> span = _scratch.AsSpan(0, part.Length * DType.ItemSize);
            for (int k = 0; k < part.Length; k++)
            {
                Span<byte> item = span.Slice(k * DType.ItemSize, DType.ItemSize);
                switch (DType.ItemSize)
                {
                    case 1: item[0] = (byte)part[k]; break;
                    case 2: BinaryPrimitives.WriteInt16LittleEndian(item, (short)part[k]); break;
                    case 4: BinaryPrimitives.WriteInt32LittleEndian(item, (int)part[k]); break;
                    default: BinaryPrimitives.WriteInt64LittleEndian(item, part[k]); break;
                }
            }
            bin.Stream.Write(span);
        }
        EndSequence(values.Length, mode);
    }

    /// <summary>Appends a sequence of float items (for a float32 or float64 dataset) to the current document.</summary>
    /// <param name="values">The items.</param>
    /// <param name="mode">The sequence's mode (multimodal datasets only; 0 otherwise).</param>
    /// <exception cref="ArgumentException">The dtype is not a float type.</exception>
    /// <exception cref="InvalidOperationException">The writer is completed, or a mode is given for a dataset without modes.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads take integer or float spans, so no call binds to both; the optional mode comes last in each, as in Megatron's add_item.")]
    public void AddSequence(ReadOnlySpan<double> values, sbyte mode = 0)
    {
        if (DType.Kind != NpyKind.Float)
            throw new ArgumentException(Messages.Format(Messages.IndexedWriterAddLongs, Prefix, DType), nameof(values));
        PendingFile bin = BeginSequence(mode);
        int chunk = _scratch.Length / DType.ItemSize;
        for (int start = 0; start < values.Length; start += chunk)
        {
            ReadOnlySpan<double> part = values.Slice(start, Math.Min(chunk, values.Length - start));
            Span<byte> span = _scratch.AsSpan(0, part.Length * DType.ItemSize);
            for (int k = 0; k < part.Length; k++)
            {
                if (DType.ItemSize == 4)
                    BinaryPrimitives.WriteSingleLittleEndian(span[(k * 4)..], (float)part[k]);
                else
                    BinaryPrimitives.WriteDoubleLittleEndian(span[(k * 8)..], part[k]);
            }
            bin.Stream.Write(span);
        }
        EndSequence(values.Length, mode);
    }

    /// <summary>Ends the current document, as Megatron's <c>end_document</c>: the sequences added since the last one form a document.</summary>
    /// <exception cref="InvalidOperationException">The writer is completed.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void EndDocument()
    {
        ThrowIfNotWritable();
        _documents.Add(_lengths.Count);
    }

    /// <summary>Adds a document of one sequence: <see cref="AddSequence(ReadOnlySpan{long}, sbyte)"/> then <see cref="EndDocument"/>.</summary>
    /// <param name="tokens">The document's tokens.</param>
    /// <exception cref="ArgumentException">A value does not fit the dtype, or the dtype is not an integer type.</exception>
    /// <exception cref="InvalidOperationException">The writer is completed.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void AddDocument(ReadOnlySpan<long> tokens)
    {
        AddSequence(tokens);
        EndDocument();
    }

    /// <summary>Writes the index and moves both files into place. Sequences added after the last <see cref="EndDocument"/>
    /// form a last document.</summary>
    /// <exception cref="InvalidOperationException">The writer is already completed, or no value was added (the .bin would
    /// be empty, which no reader can map); the writer then stays open for sequences.</exception>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    /// <exception cref="IOException">A file cannot be written or moved; the writer is then disposed and its temporary files deleted.</exception>
    public void Complete()
    {
        PendingFile bin = ThrowIfNotWritable();
        if (!_lengths.Exists(length => length > 0))
            throw new InvalidOperationException(Messages.Format(Messages.IndexedWriterEmpty, Prefix));
        if (_documents[^1] != _lengths.Count)
            _documents.Add(_lengths.Count);
        var header = IndexedDatasetHeader.Create(DType, _convention, _lengths.Count, _documents.Count, Multimodal);
        PendingFile? idx = null;
        try
        {
            idx = PendingFile.Create(Prefix + ".idx", 0, BufferSize);
            WriteIndex(idx.Stream, header);
            // No moment with a new .bin beside an old .idx: the old index goes first, the new one comes last.
            File.Delete(idx.Path);
            _bin = null;
            bin.Commit([]);
            idx.Commit([]);
        }
        catch
        {
            idx?.Dispose();
            bin.Dispose();
            _bin = null;
            throw;
        }
        _completed = true;
    }

    /// <summary>Closes the writer; if it was not completed, deletes the temporary files and leaves any previous dataset as it was.</summary>
    public void Dispose() => Interlocked.Exchange(ref _bin, null)?.Dispose();

    private PendingFile BeginSequence(sbyte mode)
    {
        PendingFile bin = ThrowIfNotWritable();
        if (mode != 0 && !Multimodal)
            throw new InvalidOperationException(Messages.Format(Messages.IndexedWriterNoModes, Prefix));
        return bin;
    }

    private void EndSequence(int count, sbyte mode)
    {
        _lengths.Add(count);
        _modes.Add(mode);
    }

    private void WriteIndex(Stream stream, IndexedDatasetHeader header)
    {
        Span<byte> head = stackalloc byte[IndexedDatasetLayout.HeaderSize];
        header.WriteTo(head);
        stream.Write(head);
        int[] lengths = _lengths.ToArray();
        long[] pointers = new long[lengths.Length];
        long pointer = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            pointers[i] = pointer;
            pointer += (long)lengths[i] * DType.ItemSize;
        }
        long[] documents = _documents.ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(lengths, lengths);
            BinaryPrimitives.ReverseEndianness(pointers, pointers);
            BinaryPrimitives.ReverseEndianness(documents, documents);
        }
        stream.Write(MemoryMarshal.AsBytes(lengths.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(pointers.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(documents.AsSpan()));
        if (Multimodal)
            stream.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_modes)));
    }

    private PendingFile ThrowIfNotWritable()
    {
        if (_completed)
            throw new InvalidOperationException(Messages.Format(Messages.WriterCompleted, Prefix));
        return _bin ?? throw new ObjectDisposedException(nameof(IndexedDatasetWriter), Messages.Format(Messages.WriterDisposed, Prefix));
    }
}
