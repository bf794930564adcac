using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchMmap.Format;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

/// <summary>
/// Widens stored integer tokens of any width and byte order to int64 in one pass from the mapping to the destination, the
/// way <c>x[i:i+T].astype(np.int64)</c> does, without an intermediate buffer. Little-endian uint16 and uint32 (nanoGPT,
/// llm.c) take a vectorised path. Every method is fully optimised from its first call: a hot loop that starts in tier-0 code
/// (where vector operations are not intrinsics) runs an order of magnitude slower until tiering catches up.
/// </summary>
internal static unsafe class TokenCopier
{
    /// <summary>Widens <paramref name="count"/> tokens of <paramref name="dtype"/> at <paramref name="src"/> to int64 at <paramref name="dst"/>.</summary>
    /// <returns>The index of the first uint64 token too large for int64, or -1.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Widen(byte* src, long* dst, long count, NpyDType dtype)
    {
        bool swap = dtype.IsSwapped;
        switch (dtype.Kind, dtype.ItemSize)
        {
            case (NpyKind.UnsignedInteger, 1):
                for (long i = 0; i < count; i++)
                    dst[i] = src[i];
                return -1;
            case (NpyKind.SignedInteger, 1):
                for (long i = 0; i < count; i++)
                    dst[i] = ((sbyte*)src)[i];
                return -1;
            case (NpyKind.UnsignedInteger, 2) when !swap:
                WidenUInt16((ushort*)src, dst, count);
                return -1;
            case (NpyKind.UnsignedInteger, 2):
                for (long i = 0; i < count; i++)
                    dst[i] = BinaryPrimitives.ReverseEndianness(((ushort*)src)[i]);
                return -1;
            case (NpyKind.SignedInteger, 2):
                for (long i = 0; i < count; i++)
                    dst[i] = swap ? BinaryPrimitives.ReverseEndianness(((short*)src)[i]) : ((short*)src)[i];
                return -1;
            case (NpyKind.UnsignedInteger, 4) when !swap:
                WidenUInt32((uint*)src, dst, count);
                return -1;
            case (NpyKind.UnsignedInteger, 4):
                for (long i = 0; i < count; i++)
                    dst[i] = BinaryPrimitives.ReverseEndianness(((uint*)src)[i]);
                return -1;
            case (NpyKind.SignedInteger, 4):
                for (long i = 0; i < count; i++)
                    dst[i] = swap ? BinaryPrimitives.ReverseEndianness(((int*)src)[i]) : ((int*)src)[i];
                return -1;
            case (NpyKind.SignedInteger, 8) when !swap:
                Buffer.MemoryCopy(src, dst, count * 8, count * 8);
                return -1;
            case (NpyKind.SignedInteger, 8):
                for (long i = 0; i < count; i++)
                    dst[i] = BinaryPrimitives.ReverseEndianness(((long*)src)[i]);
                return -1;
            case (NpyKind.UnsignedInteger, 8):
                for (long i = 0; i < count; i++)
                {
                    ulong v = swap ? BinaryPrimitives.ReverseEndianness(((ulong*)src)[i]) : ((ulong*)src)[i];
                    if (v > long.MaxValue)
                        return i;
                    dst[i] = (long)v;
                }
                return -1;
            default:
                throw new NotSupportedException(Messages.Format(Messages.TokensNotIntegers, dtype));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WidenUInt16(ushort* src, long* dst, long count)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                (Vector256<uint> lo, Vector256<uint> hi) = Vector256.Widen(Vector256.Load(src + i));
                (Vector256<ulong> a, Vector256<ulong> b) = Vector256.Widen(lo);
                (Vector256<ulong> c, Vector256<ulong> d) = Vector256.Widen(hi);
                ulong* o = (ulong*)(dst + i);
                a.Store(o);
                b.Store(o + 4);
                c.Store(o + 8);
                d.Store(o + 12);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                (Vector128<uint> lo, Vector128<uint> hi) = Vector128.Widen(Vector128.Load(src + i));
                (Vector128<ulong> a, Vector128<ulong> b) = Vector128.Widen(lo);
                (Vector128<ulong> c, Vector128<ulong> d) = Vector128.Widen(hi);
                ulong* o = (ulong*)(dst + i);
                a.Store(o);
                b.Store(o + 2);
                c.Store(o + 4);
                d.Store(o + 6);
            }
        }
        for (; i < count; i++)
            dst[i] = src[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WidenUInt32(uint* src, long* dst, long count)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                (Vector256<ulong> a, Vector256<ulong> b) = Vector256.Widen(Vector256.Load(src + i));
                ulong* o = (ulong*)(dst + i);
                a.Store(o);
                b.Store(o + 4);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= count; i += 4)
            {
                (Vector128<ulong> a, Vector128<ulong> b) = Vector128.Widen(Vector128.Load(src + i));
                ulong* o = (ulong*)(dst + i);
                a.Store(o);
                b.Store(o + 2);
            }
        }
        for (; i < count; i++)
            dst[i] = src[i];
    }
}
