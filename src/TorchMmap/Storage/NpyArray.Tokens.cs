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
        long bad = TokenCopier.Widen(lease.Pointer + DataStart + start * DType.ItemSize, dst, count, DType);
        if (bad >= 0)
        {
            ulong value = ((ulong*)(lease.Pointer + DataStart))[start + bad];
            throw new InvalidDataException(Messages.Format(Messages.TokenTooLarge, Path, start + bad, DType.IsSwapped ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value) : value));
        }
    }

    /// <summary>Hints that elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) will be read soon.</summary>
    internal void WillNeedElements(long start, long count) =>
        _file.Advise(DataStart + start * DType.ItemSize, count * DType.ItemSize, LibC.MadvWillNeed);
}
