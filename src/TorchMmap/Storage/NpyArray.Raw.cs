using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

public sealed partial class NpyArray
{
    /// <summary>
    /// Maps a headerless file as an array, as NumPy's <c>np.memmap(path, dtype, mode, offset, shape, order)</c>: the caller says
    /// what the bytes are. The file is never checked for, or read as, a .npy header, so a .npy file opened this way is read as
    /// raw bytes (including its header) and a raw file named <c>.npy</c> (as OLMo names them) opens fine.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="dtype">The element type and byte order of the stored values.</param>
    /// <param name="mode">The mapping mode: <c>'r'</c>, <c>'r+'</c> or <c>'c'</c>; for <c>'w+'</c> use <see cref="CreateRaw"/>.</param>
    /// <param name="offset">The file offset of the first element.</param>
    /// <param name="shape">The shape; null (as <c>shape=None</c>) for a 1-D array of every whole element after <paramref name="offset"/>.</param>
    /// <param name="fortranOrder">True when the data is in Fortran order (<c>order='F'</c>).</param>
    /// <returns>The mapped array, usable everywhere an array opened from a .npy file is; dispose it to unmap.</returns>
    /// <remarks>Bytes after the array's data are ignored, as <c>np.memmap</c> ignores them.</remarks>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not defined, <paramref name="offset"/> is negative,
    /// or a dimension of <paramref name="shape"/> is negative or its byte size overflows.</exception>
    /// <exception cref="InvalidDataException">The file is empty or shorter than the offset and shape need, or (shape inferred) the
    /// bytes after the offset are not a whole number of elements.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The path is a directory, or the file cannot be opened.</exception>
    public static NpyArray OpenRaw(string path, NpyDType dtype, NpyMode mode = NpyMode.ReadOnly, long offset = 0, long[]? shape = null, bool fortranOrder = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(dtype);
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, Messages.MappingModeUnknown);
        CheckRawArguments(path, dtype, offset, shape);
        // A directory, FIFO or device is refused by name when the stream opens (the readers' one file-type rule).
        FileStream stream = OpenStream(path, mode);
        try
        {
            NpyHeader header = NpyHeader.ForRawFile(path, dtype, stream.Length, offset, shape, inferShape: shape is null, fortranOrder);
            return new NpyArray(MappedFile.Map(path, stream, mode, offset + header.DataLength), offset, header, path, isRaw: true);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates (or replaces) a headerless file of zeros sized to the shape and maps it for reading and writing, as
    /// <c>np.memmap(path, dtype, mode='w+', offset, shape, order)</c>: the file is <paramref name="offset"/> zero bytes followed
    /// by the array's data.
    /// </summary>
    /// <param name="path">The file to create.</param>
    /// <param name="dtype">The element type and byte order.</param>
    /// <param name="shape">The shape (required, as NumPy requires it for <c>'w+'</c>).</param>
    /// <param name="offset">The file offset of the first element.</param>
    /// <param name="fortranOrder">True to lay the data out in Fortran order.</param>
    /// <returns>The mapped array in <see cref="NpyMode.ReadWrite"/> mode.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative, or a dimension is negative or the size overflows.</exception>
    /// <exception cref="IOException">The path is a directory, or the file cannot be created.</exception>
    public static NpyArray CreateRaw(string path, NpyDType dtype, long[] shape, long offset = 0, bool fortranOrder = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(dtype);
        ArgumentNullException.ThrowIfNull(shape);
        CheckRawArguments(path, dtype, offset, shape);
        if (Directory.Exists(path))
            throw new IOException(Messages.Format(Messages.RawIsDirectory, path));
        NpyHeader header = NpyHeader.Create(dtype, shape, fortranOrder);
        if (header.DataLength > long.MaxValue - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, Messages.Format(Messages.RawShapeInvalid, header.FormatShape(), path, $"offset {offset} plus {header.DataLength} data bytes overflows a 64-bit file size"));
        return CreateCore(path, header, offset, isRaw: true);
    }

    // Caller errors, each naming the file: a negative offset, a negative dimension, a byte size that overflows.
    private static void CheckRawArguments(string path, NpyDType dtype, long offset, long[]? shape)
    {
        if (offset < 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, Messages.Format(Messages.RawOffsetNegative, path));
        if (shape is null)
            return;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw new ArgumentOutOfRangeException(nameof(shape), Messages.Format(Messages.RawShapeInvalid, NpyHeader.FormatShape(shape), path, $"dimension {i} is negative"));
        }
        if (!NpyShape.TryGetSize(shape, dtype.ItemSize, out _, out long bytes) || bytes > long.MaxValue - offset)
            throw new ArgumentOutOfRangeException(nameof(shape), Messages.Format(Messages.RawShapeInvalid, NpyHeader.FormatShape(shape), path, $"{dtype} elements after offset {offset} overflow a 64-bit byte count"));
    }
}
