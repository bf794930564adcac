using TorchMmap.Internal;

namespace TorchMmap.Format;

public sealed partial class NpyHeader
{
    /// <summary>
    /// Describes a headerless file as <c>np.memmap(path, dtype, offset=offset, shape=shape, order=...)</c> sees it, after
    /// checking that the file holds the data: the header a .npy file of that array would have.
    /// </summary>
    /// <param name="name">The file, for messages.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="fileLength">The file's length in bytes.</param>
    /// <param name="offset">Where the data starts; non-negative (checked by the caller).</param>
    /// <param name="shape">The shape (ignored when <paramref name="inferShape"/>).</param>
    /// <param name="inferShape">True for 1-D with the length inferred from the bytes after <paramref name="offset"/>, as <c>shape=None</c>.</param>
    /// <param name="fortranOrder">True for Fortran (column-major) order.</param>
    /// <returns>The synthesized header.</returns>
    /// <exception cref="InvalidDataException">The file is empty, or too short for the offset and shape, or (shape inferred)
    /// the bytes after the offset are not a whole number of elements.</exception>
    internal static NpyHeader ForRawFile(string name, NpyDType dtype, long fileLength, long offset, ReadOnlySpan<long> shape, bool inferShape, bool fortranOrder)
    {
        // NumPy cannot map an empty file either ("cannot mmap an empty file").
        if (fileLength == 0)
            throw new InvalidDataException(Messages.Format(Messages.RawEmpty, name));
        if (offset > fileLength)
            throw new InvalidDataException(Messages.Format(Messages.RawOffsetPastEnd, name, offset, fileLength));
        if (inferShape)
        {
            long available = fileLength - offset;
            if (available % dtype.ItemSize != 0)
                throw new InvalidDataException(Messages.Format(Messages.RawNotWholeElements, name, available, offset, dtype.Descr, dtype.ItemSize));
            return Create(dtype, [available / dtype.ItemSize], fortranOrder);
        }
        NpyHeader header = Create(dtype, shape, fortranOrder);
        if (header.DataLength > fileLength - offset)
            throw new InvalidDataException(Messages.Format(Messages.DataTooShort, name, header.FormatShape(), header.Descr, header.DataLength, offset, fileLength));
        return header;
    }
}
