using System.Runtime.CompilerServices;
using TorchMmap.Internal;

namespace TorchMmap.Storage;

public sealed unsafe partial class NpyArray
{
    /// <summary>Takes a lease on the mapping after checking the file still holds the data; the token layer takes one per shard per batch.</summary>
    internal MappedFile.Lease AcquireForAccess() => _file.AcquireForAccess();

    /// <summary>Widens elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of a 1-D integer
    /// array to int64 at <paramref name="dst"/>, through a lease the caller holds. The range is checked by the caller.</summary>
    /// <exception cref="InvalidDataException">A uint64 token does not fit int64.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void WidenTokens(in MappedFile.Lease lease, long start, long count, long* dst)
    {
        if (lease.IsPlain)
        {
            WidenTokens(lease.Pointer + DataStart + start * DType.ItemSize, start, count, dst);
            return;
        }
        // Without the file lease the kernel copies the stored tokens into a buffer first, a chunk at a time.
        int item = DType.ItemSize;
        long perChunk = Math.Min(count, Math.Max(1, StagingBytes / item));
        byte* staging = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(perChunk * item));
        try
        {
            for (long done = 0; done < count; done += perChunk)
            {
                long n = Math.Min(perChunk, count - done);
                lease.Read(DataStart + (start + done) * item, staging, n * item);
                WidenTokens(staging, start + done, n, dst + done);
            }
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(staging);
        }
    }

    // Widens count stored tokens at src (token `first` of the file onwards) to dst.
    private void WidenTokens(byte* src, long first, long count, long* dst)
    {
        long bad = TokenCopier.Widen(src, dst, count, DType);
        if (bad >= 0)
        {
            ulong value = ((ulong*)src)[bad];
            throw new InvalidDataException(Messages.Format(Messages.TokenTooLarge, Path, first + bad, DType.IsSwapped ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value) : value));
        }
    }

    /// <summary>Hints that elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) will be read soon.</summary>
    internal void WillNeedElements(long start, long count) =>
        _file.Advise(DataStart + start * DType.ItemSize, count * DType.ItemSize, LibC.MadvWillNeed);
}
