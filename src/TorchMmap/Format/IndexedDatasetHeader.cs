using System.Buffers.Binary;
using TorchMmap.Internal;

namespace TorchMmap.Format;

/// <summary>
/// The header of a Megatron-LM indexed dataset's <c>.idx</c> file: magic <c>MMIDIDX\0\0</c>, version 1, the dtype code of
/// the <c>.bin</c> file's items, and the sequence and document-index counts; and where the arrays that follow it lie.
/// </summary>
/// <remarks>After the 34-byte header come <c>SequenceCount</c> int32 lengths, <c>SequenceCount</c> int64 byte pointers into the
/// <c>.bin</c> file, <c>DocumentCount</c> int64 document indices (sequence numbers, starting with 0 and ending with the sequence
/// count) and, in a multimodal index only, <c>SequenceCount</c> int8 modes.</remarks>
public sealed class IndexedDatasetHeader
{
    private IndexedDatasetHeader(byte dtypeCode, NpyDType dtype, long sequenceCount, long documentCount, bool multimodal)
    {
        DTypeCode = dtypeCode;
        DType = dtype;
        SequenceCount = sequenceCount;
        DocumentCount = documentCount;
        Multimodal = multimodal;
    }

    /// <summary>The dtype code as stored.</summary>
    public byte DTypeCode { get; }

    /// <summary>The item type of the <c>.bin</c> file under the convention the header was read or made with (little-endian).</summary>
    public NpyDType DType { get; }

    /// <summary>The number of sequences.</summary>
    public long SequenceCount { get; }

    /// <summary>The number of document indices: one more than the number of documents.</summary>
    public long DocumentCount { get; }

    /// <summary>True when an int8 mode per sequence follows the document indices.</summary>
    public bool Multimodal { get; }

    internal long LengthsOffset => IndexedDatasetLayout.HeaderSize;

    internal long PointersOffset => LengthsOffset + SequenceCount * 4;

    internal long DocumentsOffset => PointersOffset + SequenceCount * 8;

    internal long ModesOffset => DocumentsOffset + DocumentCount * 8;

    /// <summary>The exact length of the <c>.idx</c> file this header describes.</summary>
    public long FileLength => ModesOffset + (Multimodal ? SequenceCount : 0);

    /// <summary>The dtype a code stands for under <paramref name="convention"/>.</summary>
    /// <param name="code">A code from 1 to 8.</param>
    /// <param name="convention">The code table.</param>
    /// <returns>The dtype, or null for an unknown code.</returns>
    public static NpyDType? DTypeOf(byte code, IndexedDatasetConvention convention) => code switch
    {
        1 => NpyDType.Parse("|u1"),
        2 => NpyDType.Parse("|i1"),
        3 => NpyDType.Parse("<i2"),
        4 => NpyDType.Parse("<i4"),
        5 => NpyDType.Parse("<i8"),
        6 => NpyDType.Parse(convention == IndexedDatasetConvention.GptNeoX ? "<f4" : "<f8"),
        7 => NpyDType.Parse(convention == IndexedDatasetConvention.GptNeoX ? "<f8" : "<f4"),
        8 => NpyDType.Parse("<u2"),
        _ => null,
    };

    /// <summary>The code of <paramref name="dtype"/> under <paramref name="convention"/>.</summary>
    /// <param name="dtype">uint8, int8, int16, int32, int64, float32, float64 or uint16 (byte order ignored for one-byte types).</param>
    /// <param name="convention">The code table.</param>
    /// <returns>The code.</returns>
    /// <exception cref="NotSupportedException">The dtype has no code.</exception>
    public static byte CodeOf(NpyDType dtype, IndexedDatasetConvention convention)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        for (byte code = 1; code <= 8; code++)
        {
            NpyDType candidate = DTypeOf(code, convention)!;
            if (candidate.Kind == dtype.Kind && candidate.ItemSize == dtype.ItemSize && (dtype.ItemSize == 1 || !dtype.IsSwapped))
                return code;
        }
        throw new NotSupportedException(Messages.Format(Messages.IndexedDTypeUnsupported, dtype));
    }

    /// <summary>Parses the first 34 bytes of an <c>.idx</c> file of <paramref name="fileLength"/> bytes; no I/O.</summary>
    /// <param name="header">At least the first 34 bytes (fewer if the file is shorter).</param>
    /// <param name="fileLength">The length of the file, checked against the counts.</param>
    /// <param name="convention">The dtype-code table.</param>
    /// <param name="multimodal">True when the index ends with int8 modes (Megatron's <c>multimodal</c> flag; the file does not record it).</param>
    /// <param name="path">The file, for messages.</param>
    /// <returns>The header.</returns>
    /// <exception cref="InvalidDataException">Bad magic or version, an unknown dtype code, or counts that do not fit the file exactly.</exception>
    public static IndexedDatasetHeader Parse(ReadOnlySpan<byte> header, long fileLength, IndexedDatasetConvention convention, bool multimodal, string path)
    {
        if (!Enum.IsDefined(convention))
            throw new ArgumentOutOfRangeException(nameof(convention), convention, Messages.ConventionUnknown);
        if (fileLength < IndexedDatasetLayout.HeaderSize || header.Length < IndexedDatasetLayout.HeaderSize)
            throw new InvalidDataException(Messages.Format(Messages.IdxTooShort, path, fileLength, IndexedDatasetLayout.HeaderSize));
        ReadOnlySpan<byte> magic = header[..IndexedDatasetLayout.Magic.Length];
        if (!magic.SequenceEqual(IndexedDatasetLayout.Magic))
            throw new InvalidDataException(Messages.Format(Messages.IdxBadMagic, path, Convert.ToHexString(magic).Chunk2()));
        ulong version = BinaryPrimitives.ReadUInt64LittleEndian(header[IndexedDatasetLayout.VersionOffset..]);
        if (version != IndexedDatasetLayout.Version)
            throw new InvalidDataException(Messages.Format(Messages.IdxBadVersion, path, version));
        byte code = header[IndexedDatasetLayout.DTypeCodeOffset];
        NpyDType dtype = DTypeOf(code, convention) ?? throw new InvalidDataException(Messages.Format(Messages.IdxBadDTypeCode, path, code));
        ulong sequences = BinaryPrimitives.ReadUInt64LittleEndian(header[IndexedDatasetLayout.SequenceCountOffset..]);
        ulong documents = BinaryPrimitives.ReadUInt64LittleEndian(header[IndexedDatasetLayout.DocumentCountOffset..]);
        if (documents == 0)
            throw new InvalidDataException(Messages.Format(Messages.IdxNoDocuments, path));
        // 13 (or 14) bytes per sequence and 8 per document index: counts past these bounds cannot fit any file.
        UInt128 needed = IndexedDatasetLayout.HeaderSize + (UInt128)sequences * (multimodal ? 13u : 12u) + (UInt128)documents * 8;
        if (needed > long.MaxValue)
            throw new InvalidDataException(Messages.Format(Messages.IdxCountsTooLarge, path, sequences, documents, needed));
        var parsed = new IndexedDatasetHeader(code, dtype, (long)sequences, (long)documents, multimodal);
        if (parsed.FileLength != fileLength)
        {
            if (!multimodal && fileLength == parsed.FileLength + parsed.SequenceCount && parsed.SequenceCount > 0)
                throw new InvalidDataException(Messages.Format(Messages.IdxLengthMismatchModes, path, fileLength, sequences, documents, parsed.FileLength));
            throw new InvalidDataException(Messages.Format(Messages.IdxLengthMismatch, path, fileLength, sequences, documents, multimodal ? " and modes" : "", parsed.FileLength));
        }
        return parsed;
    }

    /// <summary>Makes the header of a new index.</summary>
    internal static IndexedDatasetHeader Create(NpyDType dtype, IndexedDatasetConvention convention, long sequenceCount, long documentCount, bool multimodal)
    {
        byte code = CodeOf(dtype, convention);
        return new IndexedDatasetHeader(code, DTypeOf(code, convention)!, sequenceCount, documentCount, multimodal);
    }

    /// <summary>Writes the 34 header bytes.</summary>
    internal void WriteTo(Span<byte> destination)
    {
        IndexedDatasetLayout.Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[IndexedDatasetLayout.VersionOffset..], IndexedDatasetLayout.Version);
        destination[IndexedDatasetLayout.DTypeCodeOffset] = DTypeCode;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[IndexedDatasetLayout.SequenceCountOffset..], (ulong)SequenceCount);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[IndexedDatasetLayout.DocumentCountOffset..], (ulong)DocumentCount);
    }
}
