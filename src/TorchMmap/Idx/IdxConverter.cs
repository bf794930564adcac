using System.Runtime.InteropServices;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Idx;

/// <summary>Converts IDX files (plain or gzip'd) to .npy files with <see cref="NpyWriter"/>, streaming a chunk at a time.</summary>
public static class IdxConverter
{
    /// <summary>Writes the IDX file at <paramref name="idxPath"/> as the .npy file <paramref name="npyPath"/>.</summary>
    /// <param name="idxPath">The IDX file (gzip-compressed or not).</param>
    /// <param name="npyPath">The .npy file; it appears (replacing any file there) only when the conversion succeeds.</param>
    /// <param name="options">Layout and type options; the defaults keep shape and type.</param>
    /// <param name="progress">Called after each chunk with (rows written, total rows); may be null.</param>
    /// <returns>The header of the file written.</returns>
    /// <exception cref="ArgumentException">A path is null or empty, or the chunk size is not positive.</exception>
    /// <exception cref="InvalidDataException">The IDX file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">A row is larger than the converter can buffer.</exception>
    /// <exception cref="IOException">A file cannot be read or written.</exception>
    public static NpyHeader Convert(string idxPath, string npyPath, IdxConversionOptions? options = null, Action<long, long>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(idxPath);
        ArgumentException.ThrowIfNullOrEmpty(npyPath);
        options ??= new IdxConversionOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ChunkBytes, nameof(options));
        using IdxReader reader = IdxReader.Open(idxPath);
        IdxHeader header = reader.Header;
        bool widen = options.WidenLabelsToInt64 && header.Shape.Count == 1 && header.ElementType is not (IdxElementType.Float32 or IdxElementType.Float64);
        List<long> rowShape = header.Shape.Skip(1).ToList();
        if (options.InsertChannelAxis && header.Shape.Count >= 3)
            rowShape.Insert(0, 1);
        NpyDType dtype = widen ? NpyDType.Int64 : header.NpyDType;
        string? directory = Path.GetDirectoryName(Path.GetFullPath(npyPath));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        using NpyWriter writer = NpyWriter.Create(npyPath, dtype, rowShape.ToArray());
        // A compressed file's length says nothing of its rows, so a row size no buffer can hold is refused before allocating.
        if (reader.RowCount > 0 && reader.RowBytes > Array.MaxLength)
            ThrowHelper.NotSupported(Messages.IdxRowTooLarge, reader.Path, reader.RowBytes, string.Join('x', header.Shape), Array.MaxLength);
        bool noData = reader.RowCount == 0 || reader.RowBytes == 0;
        int rowsPerChunk = noData ? 0 : (int)Math.Max(1, options.ChunkBytes / reader.RowBytes);
        byte[] buffer = new byte[checked(rowsPerChunk * reader.RowBytes)];
        long[] wide = widen ? new long[rowsPerChunk] : [];
        long written = 0;
        if (noData)
        {
            if (reader.RowBytes == 0)
                writer.AppendEmptyRows(reader.RowCount);
            reader.ReadRows(buffer);
            written = reader.RowCount;
        }
        for (int rows; (rows = reader.ReadRows(buffer)) > 0; written += rows)
        {
            Span<byte> chunk = buffer.AsSpan(0, checked((int)(rows * reader.RowBytes)));
            if (widen)
            {
                Widen(chunk, header.ElementType, wide.AsSpan(0, rows));
                writer.Append<long>(wide.AsSpan(0, rows));
            }
            else
            {
                writer.Append<byte>(chunk);
            }
            progress?.Invoke(written + rows, reader.RowCount);
        }
        writer.Complete();
        progress?.Invoke(written, reader.RowCount);
        return NpyHeader.Read(npyPath);
    }

    private static void Widen(ReadOnlySpan<byte> source, IdxElementType type, Span<long> destination)
    {
        switch (type)
        {
            case IdxElementType.UInt8:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = source[i];
                break;
            case IdxElementType.Int8:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (sbyte)source[i];
                break;
            case IdxElementType.Int16:
                ReadOnlySpan<short> s = MemoryMarshal.Cast<byte, short>(source);
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = s[i];
                break;
            default:
                ReadOnlySpan<int> n = MemoryMarshal.Cast<byte, int>(source);
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = n[i];
                break;
        }
    }
}
