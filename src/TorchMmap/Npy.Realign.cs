using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap;

// Rewriting a file's header so its data starts on a page.
public static partial class Npy
{
    /// <summary>Writes a copy of the .npy file <paramref name="source"/> whose data starts at a multiple of
    /// <paramref name="dataAlignment"/> bytes: the same dtype, shape, order and data bytes, so <c>np.load</c> reads both as
    /// the same array. <c>np.save</c> starts the data 64-byte aligned, usually 128 bytes into the first page, so a row of
    /// whole pages (a float32 3 x 32 x 32 image, 12 KiB) straddles one page more than it fills; in a copy aligned to 4096
    /// every such row lies on its own pages, and a cold random read of it asks the disk for those pages alone.</summary>
    /// <param name="source">The .npy file to copy.</param>
    /// <param name="destination">The copy; replaced atomically (written beside it, then renamed), so it may be
    /// <paramref name="source"/> itself.</param>
    /// <param name="dataAlignment">A multiple of 64 from 64 to 8192: 4096 for pages, 64 for <c>np.save</c>'s layout.</param>
    /// <returns>The copy's header.</returns>
    /// <exception cref="ArgumentException">A path is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dataAlignment"/> is not a multiple of 64 from 64 to 8192.</exception>
    /// <exception cref="InvalidDataException"><paramref name="source"/> is not a well-formed .npy file, or ends before the data its
    /// header promises.</exception>
    /// <exception cref="NotSupportedException">The file's dtype is one the library cannot load (such as uint64).</exception>
    /// <exception cref="IOException">A file cannot be read or written, or <paramref name="source"/> is not a regular file.</exception>
    public static NpyHeader Realign(string source, string destination, int dataAlignment = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        const int BufferBytes = 1 << 20;
        using FileStream input = InputFile.Open(source, bufferSize: 1);
        // The header and that the file holds its data are checked before the destination is touched.
        NpyHeader header = NpyHeader.Read(input, source);
        NpyHeader aligned = NpyHeader.Create(header.DType, header.ShapeArray, header.FortranOrder, dataAlignment);
        using var output = FileReplacement.Begin(destination, FileAccess.Write, FileShare.None, BufferBytes);
        aligned.WriteTo(output.Stream);
        input.Position = header.DataOffset;
        byte[] buffer = new byte[BufferBytes];
        for (long left = header.DataLength; left > 0;)
        {
            int got = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (got == 0) // the file shrank while it was copied
                ThrowHelper.InvalidData(Messages.StreamDataTruncated, source, header.DataLength - left, header.DataLength);
            output.Stream.Write(buffer, 0, got);
            left -= got;
        }
        output.Commit();
        return aligned;
    }
}
