using System.Buffers;
using TorchMmap.Format;
using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Storage;

/// <summary>Loads a whole .npy file from a stream that cannot be mapped (a compressed .npz entry).</summary>
internal static unsafe class NpyStreamLoader
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Reads a header and all of its data from <paramref name="stream"/> into a new tensor.</summary>
    /// <param name="stream">The .npy bytes.</param>
    /// <param name="name">The name for messages.</param>
    /// <param name="declaredSize">The size the container claims for these bytes; the header may not ask for more.</param>
    public static Tensor Load(Stream stream, string name, long declaredSize)
    {
        NpyHeader header = NpyHeader.Read(stream, name);
        // Checked before allocating, so a lying header cannot make us reserve memory the entry does not hold.
        header.CheckDataFits(declaredSize, name);
        NpyDType dtype = header.DType;
        ReadOnlySpan<long> shape = header.ShapeArray;
        long[] layout = header.FortranOrder ? FortranLayout.ReversedShape(shape) : shape.ToArray();

        using DisposeScope scope = torch.NewDisposeScope();
        Tensor raw = TensorMemory.EmptyForLoad(layout, dtype.ScalarType, name, $"the array {header.FormatShape()}");
        byte* dst = TensorMemory.DataPointer(raw, nameof(raw));
        long done = 0;
        int per = Math.Max(1, ChunkBytes / dtype.ItemSize);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(per * dtype.ItemSize);
        try
        {
            while (done < header.ElementCount)
            {
                int n = (int)Math.Min(per, header.ElementCount - done);
                int bytes = n * dtype.ItemSize;
                int got = stream.ReadAtLeast(buffer.AsSpan(0, bytes), bytes, throwOnEndOfStream: false);
                if (got < bytes)
                    ThrowHelper.InvalidData(Messages.StreamDataTruncated, name, done * dtype.ItemSize + got, header.DataLength);
                fixed (byte* src = buffer)
                    ElementCopier.Load(src, dst + done * dtype.LoadedItemSize, n, dtype);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (!header.FortranOrder || header.Rank < 2)
            return raw.MoveToOuterDisposeScope();
        return FortranLayout.ToCOrder(raw).MoveToOuterDisposeScope();
    }
}
