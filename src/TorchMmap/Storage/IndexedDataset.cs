using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// A Megatron-LM indexed dataset (the <c>.bin</c> + <c>.idx</c> pair that Megatron-LM, Megatron-core and GPT-NeoX preprocess
/// text into), memory-mapped: its sequences as a <see cref="RaggedArray"/>, and the document boundaries between them.
/// </summary>
/// <remarks>
/// <para>
/// Everything is validated when the dataset opens, before any read: the header (magic, version, dtype code), counts that
/// match the <c>.idx</c> file's length exactly, every sequence's length (not negative) and byte pointer (a whole item,
/// inside the <c>.bin</c> file with its length), and the document indices (starting with 0, never decreasing, ending with
/// the sequence count). A violation is an <see cref="InvalidDataException"/> naming the file, the entry and its byte offset.
/// </para>
/// <para>
/// The dtype code's meaning depends on who wrote the file (<see cref="IndexedDatasetConvention"/>); the caller says which.
/// Whether int8 modes follow (Megatron's multimodal datasets) is not recorded either: pass <c>multimodal</c>. An index whose
/// length would fit only with modes is refused with a message saying so. Reads are thread safe; dispose unmaps both files.
/// </para>
/// </remarks>
public sealed unsafe class IndexedDataset : IDisposable
{
    // Index entries validated per copy out of the mapping.
    private const int ValidationChunk = 1 << 16;

    private readonly NpyArray _idx;
    private int _disposed;

    private IndexedDataset(string prefix, IndexedDatasetHeader header, NpyArray idx, NpyArray bin)
    {
        Prefix = prefix;
        Header = header;
        _idx = idx;
        Sequences = RaggedArray.FromIndex(bin, new RaggedIndex.Megatron(idx, header.SequenceCount, header.LengthsOffset, header.PointersOffset, header.DType.ItemSize), ownsValues: true);
    }

    /// <summary>The path prefix: the files are <c>Prefix + ".idx"</c> and <c>Prefix + ".bin"</c>.</summary>
    public string Prefix { get; }

    /// <summary>The <c>.idx</c> file.</summary>
    public string IndexPath => _idx.Path;

    /// <summary>The <c>.bin</c> file.</summary>
    public string DataPath => Sequences.Values.Path;

    /// <summary>The validated header.</summary>
    public IndexedDatasetHeader Header { get; }

    /// <summary>The sequences (Megatron's <c>dataset[i]</c>), each a row of items of <see cref="IndexedDatasetHeader.DType"/>.</summary>
    public RaggedArray Sequences { get; }

    /// <summary>The number of sequences.</summary>
    public long SequenceCount => Header.SequenceCount;

    /// <summary>The number of documents (one less than the number of document indices).</summary>
    public long DocumentCount => Header.DocumentCount - 1;

    /// <summary>Opens <c>prefix.idx</c> and <c>prefix.bin</c>, as Megatron's <c>IndexedDataset(path_prefix)</c>.</summary>
    /// <param name="prefix">The path without extension.</param>
    /// <param name="convention">Which dtype-code table wrote the index.</param>
    /// <param name="multimodal">True when the index ends with an int8 mode per sequence.</param>
    /// <returns>The dataset; dispose it to unmap the files.</returns>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="convention"/> is not defined.</exception>
    /// <exception cref="InvalidDataException">A file is not valid (see remarks).</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads take a prefix or two paths before the convention, so no call binds to both; multimodal comes last in each, as in Megatron's IndexedDataset.")]
    public static IndexedDataset Open(string prefix, IndexedDatasetConvention convention, bool multimodal = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        return Open(prefix + ".idx", prefix + ".bin", convention, multimodal);
    }

    /// <summary>Opens an index and its data file by their paths.</summary>
    /// <param name="indexPath">The <c>.idx</c> file.</param>
    /// <param name="dataPath">The <c>.bin</c> file.</param>
    /// <param name="convention">Which dtype-code table wrote the index.</param>
    /// <param name="multimodal">True when the index ends with an int8 mode per sequence.</param>
    /// <returns>The dataset; dispose it to unmap the files.</returns>
    /// <exception cref="ArgumentException">A path is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="convention"/> is not defined.</exception>
    /// <exception cref="InvalidDataException">A file is not valid (see remarks).</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="IOException">A file cannot be opened.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads take a prefix or two paths before the convention, so no call binds to both; multimodal comes last in each, as in Megatron's IndexedDataset.")]
    public static IndexedDataset Open(string indexPath, string dataPath, IndexedDatasetConvention convention, bool multimodal = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexPath);
        ArgumentException.ThrowIfNullOrEmpty(dataPath);
        if (!Enum.IsDefined(convention))
            throw new ArgumentOutOfRangeException(nameof(convention), convention, Messages.ConventionUnknown);
        NpyArray? idx = null;
        NpyArray? bin = null;
        try
        {
            if (File.Exists(indexPath) && new FileInfo(indexPath).Length < IndexedDatasetLayout.HeaderSize)
                throw new InvalidDataException(Messages.Format(Messages.IdxTooShort, indexPath, new FileInfo(indexPath).Length, IndexedDatasetLayout.HeaderSize));
            idx = NpyArray.OpenRaw(indexPath, NpyDType.UInt8);
            IndexedDatasetHeader header;
            byte* raw = stackalloc byte[IndexedDatasetLayout.HeaderSize];
            using (MappedFile.Lease lease = idx.AcquireForAccess())
                lease.Read(0, raw, IndexedDatasetLayout.HeaderSize);
            header = IndexedDatasetHeader.Parse(new ReadOnlySpan<byte>(raw, IndexedDatasetLayout.HeaderSize), idx.Length, convention, multimodal, indexPath);
            bin = NpyArray.OpenRaw(dataPath, header.DType);
            Validate(idx, header, bin);
            string prefix = indexPath.EndsWith(".idx", StringComparison.Ordinal) ? indexPath[..^4] : indexPath;
            return new IndexedDataset(prefix, header, idx, bin);
        }
        catch
        {
            bin?.Dispose();
            idx?.Dispose();
            throw;
        }
    }

    /// <summary>The sequences of document <paramref name="document"/>: [first, end).</summary>
    /// <param name="document">A document number.</param>
    /// <returns>The first sequence and one past the last.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="document"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public (long First, long End) SequencesOf(long document)
    {
        if ((ulong)document >= (ulong)DocumentCount)
            throw new ArgumentOutOfRangeException(nameof(document), document, Messages.Format(Messages.IndexedDocumentOutOfRange, document, IndexPath, DocumentCount));
        using MappedFile.Lease lease = _idx.AcquireForAccess();
        long at = Header.DocumentsOffset + document * 8;
        return (lease.ReadInt64LittleEndian(at), lease.ReadInt64LittleEndian(at + 8));
    }

    /// <summary>The document indices as stored: <see cref="DocumentCount"/> + 1 sequence numbers, from 0 to the sequence count.</summary>
    /// <returns>A copy of the array.</returns>
    /// <exception cref="ObjectDisposedException">The dataset has been disposed.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public long[] ReadDocumentIndices()
    {
        long[] result = new long[Header.DocumentCount];
        using (MappedFile.Lease lease = _idx.AcquireForAccess())
            CopyLittleEndian(lease, Header.DocumentsOffset, result);
        return result;
    }

    /// <summary>The int8 mode of sequence <paramref name="sequence"/> in a multimodal index.</summary>
    /// <param name="sequence">A sequence number.</param>
    /// <returns>The mode.</returns>
    /// <exception cref="InvalidOperationException">The index was opened without modes.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sequence"/> is out of range.</exception>
    /// <exception cref="InvalidDataException">A file was truncated after it was opened.</exception>
    public sbyte ModeOf(long sequence)
    {
        if (!Header.Multimodal)
            throw new InvalidOperationException(Messages.Format(Messages.IndexedNoModes, IndexPath));
        Sequences.CheckRow(sequence);
        using MappedFile.Lease lease = _idx.AcquireForAccess();
        return (sbyte)lease.ReadByte(Header.ModesOffset + sequence);
    }

    /// <summary>Unmaps both files. Calling it again does nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Sequences.Dispose();
    }

    // Every sequence inside the data file, every document index in order: one pass over the index, a chunk at a time copied
    // out of the mapping as every read is (a page the file lost is an exception, never a fault).
    private static void Validate(NpyArray idx, IndexedDatasetHeader header, NpyArray bin)
    {
        string path = idx.Path;
        long binBytes = bin.Length * header.DType.ItemSize;
        int itemSize = header.DType.ItemSize;
        int[] lengths = new int[ValidationChunk];
        long[] values = new long[ValidationChunk];
        using MappedFile.Lease lease = idx.AcquireForAccess();
        for (long first = 0; first < header.SequenceCount; first += ValidationChunk)
        {
            int n = (int)Math.Min(ValidationChunk, header.SequenceCount - first);
            CopyLittleEndian(lease, header.LengthsOffset + first * 4, lengths.AsSpan(0, n));
            CopyLittleEndian(lease, header.PointersOffset + first * 8, values.AsSpan(0, n));
            for (int k = 0; k < n; k++)
            {
                long i = first + k;
                int length = lengths[k];
                long pointer = values[k];
                if (length < 0)
                    throw new InvalidDataException(Messages.Format(Messages.IdxNegativeLength, path, i, length, header.LengthsOffset + i * 4));
                if (pointer % itemSize != 0)
                    throw new InvalidDataException(Messages.Format(Messages.IdxPointerMisaligned, path, i, pointer, header.PointersOffset + i * 8, itemSize));
                long bytes = (long)length * itemSize;
                if (pointer < 0 || pointer > binBytes - bytes)
                    throw new InvalidDataException(Messages.Format(Messages.IdxSequenceOutside, path, i, pointer, (Int128)pointer + bytes, bin.Path, binBytes));
            }
        }
        long previous = 0;
        for (long first = 0; first < header.DocumentCount; first += ValidationChunk)
        {
            int n = (int)Math.Min(ValidationChunk, header.DocumentCount - first);
            CopyLittleEndian(lease, header.DocumentsOffset + first * 8, values.AsSpan(0, n));
            for (int k = 0; k < n; k++)
            {
                long d = first + k;
                long at = header.DocumentsOffset + d * 8;
                long value = values[k];
                if (d == 0 && value != 0)
                    throw new InvalidDataException(Messages.Format(Messages.IdxDocumentFirst, path, at, value));
                if (value < previous)
                    throw new InvalidDataException(Messages.Format(Messages.IdxDocumentDecreases, path, value, d, at, previous));
                if (d == header.DocumentCount - 1 && value != header.SequenceCount)
                    throw new InvalidDataException(Messages.Format(Messages.IdxDocumentLast, path, at, value, header.SequenceCount));
                previous = value;
            }
        }
    }

    // Copies destination.Length little-endian values from file offset `offset` of the index.
    private static void CopyLittleEndian(in MappedFile.Lease lease, long offset, Span<int> destination)
    {
        CopyOut(lease, offset, MemoryMarshal.AsBytes(destination));
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(destination, destination);
    }

    private static void CopyLittleEndian(in MappedFile.Lease lease, long offset, Span<long> destination)
    {
        CopyOut(lease, offset, MemoryMarshal.AsBytes(destination));
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(destination, destination);
    }

    private static void CopyOut(in MappedFile.Lease lease, long offset, Span<byte> destination)
    {
        fixed (byte* dst = destination)
            lease.Read(offset, dst, destination.Length);
    }
}
