using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using TorchMmap.Format;

namespace TorchMmap.Storage;

/// <summary>
/// Copies elements between a file's layout and a tensor's: a plain memcpy when they match, otherwise a byte swap
/// (big-endian files), a widening (uint16 to int32, uint32 to int64) or bool normalisation, in chunks that keep
/// spans within their 2 GiB limit.
/// </summary>
internal static unsafe class ElementCopier
{
    private const long ChunkBytes = 1L << 28;

    /// <summary>Copies <paramref name="count"/> elements from the file layout at <paramref name="src"/> to tensor layout at <paramref name="dst"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Load(byte* src, byte* dst, long count, NpyDType dtype)
    {
        if (count <= 0)
            return;
        if (dtype.Kind == NpyKind.Bool)
        {
            // NumPy treats any non-zero byte as True; a tensor bool must be exactly 0 or 1.
            NormaliseBools(src, dst, count);
            return;
        }
        if (!dtype.NeedsConversion)
        {
            Copy(src, dst, count * dtype.ItemSize);
            return;
        }
        if (dtype.LoadedItemSize == dtype.ItemSize)
        {
            int part = dtype.Kind == NpyKind.Complex ? dtype.ItemSize / 2 : dtype.ItemSize;
            Swap(src, dst, count * (dtype.ItemSize / part), part);
            return;
        }
        bool swap = dtype.IsSwapped;
        if (dtype.ItemSize == 2)
        {
            ushort* s = (ushort*)src;
            int* d = (int*)dst;
            for (long i = 0; i < count; i++)
                d[i] = swap ? BinaryPrimitives.ReverseEndianness(s[i]) : s[i];
        }
        else
        {
            uint* s = (uint*)src;
            long* d = (long*)dst;
            for (long i = 0; i < count; i++)
                d[i] = swap ? BinaryPrimitives.ReverseEndianness(s[i]) : s[i];
        }
    }

    /// <summary>Copies <paramref name="count"/> elements from tensor layout at <paramref name="src"/> to the file layout at <paramref name="dst"/>.</summary>
    /// <remarks>Narrowed types keep the low bits: callers check first that every value fits (NpyArray.WriteRows does, before writing any).</remarks>
    public static void Store(byte* src, byte* dst, long count, NpyDType dtype)
    {
        if (count <= 0)
            return;
        if (dtype.Kind == NpyKind.Bool || !dtype.NeedsConversion)
        {
            Copy(src, dst, count * dtype.ItemSize);
            return;
        }
        if (dtype.LoadedItemSize == dtype.ItemSize)
        {
            int part = dtype.Kind == NpyKind.Complex ? dtype.ItemSize / 2 : dtype.ItemSize;
            Swap(src, dst, count * (dtype.ItemSize / part), part);
            return;
        }
        bool swap = dtype.IsSwapped;
        if (dtype.ItemSize == 2)
        {
            int* s = (int*)src;
            ushort* d = (ushort*)dst;
            for (long i = 0; i < count; i++)
                d[i] = swap ? BinaryPrimitives.ReverseEndianness((ushort)s[i]) : (ushort)s[i];
        }
        else
        {
            long* s = (long*)src;
            uint* d = (uint*)dst;
            for (long i = 0; i < count; i++)
                d[i] = swap ? BinaryPrimitives.ReverseEndianness((uint)s[i]) : (uint)s[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(byte* src, byte* dst, long bytes) => Buffer.MemoryCopy(src, dst, bytes, bytes);

    private static void Swap(byte* src, byte* dst, long elements, int size)
    {
        long perChunk = ChunkBytes / size;
        for (long done = 0; done < elements; done += perChunk)
        {
            int n = (int)Math.Min(perChunk, elements - done);
            byte* s = src + done * size;
            byte* d = dst + done * size;
            switch (size)
            {
                case 2:
                    BinaryPrimitives.ReverseEndianness(new ReadOnlySpan<ushort>(s, n), new Span<ushort>(d, n));
                    break;
                case 4:
                    BinaryPrimitives.ReverseEndianness(new ReadOnlySpan<uint>(s, n), new Span<uint>(d, n));
                    break;
                default:
                    BinaryPrimitives.ReverseEndianness(new ReadOnlySpan<ulong>(s, n), new Span<ulong>(d, n));
                    break;
            }
        }
    }

    private static void NormaliseBools(byte* src, byte* dst, long count)
    {
        for (long i = 0; i < count; i++)
            dst[i] = src[i] != 0 ? (byte)1 : (byte)0;
    }
}
