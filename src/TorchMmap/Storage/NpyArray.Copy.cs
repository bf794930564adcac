using System.Runtime.InteropServices;
using TorchMmap.Format;

namespace TorchMmap.Storage;

public sealed unsafe partial class NpyArray
{
    // Elements that need converting are staged through a buffer of about this size when the kernel makes the copy.
    private const long StagingBytes = 1 << 20;

    /// <summary>True when loaded elements differ from stored bytes (byte swap, widening, bool normalisation).</summary>
    private bool NeedsLoadConversion => DType.Kind == NpyKind.Bool || DType.NeedsConversion;

    /// <summary>Loads <paramref name="count"/> elements stored from file offset <paramref name="offset"/> to tensor layout at <paramref name="dst"/>.</summary>
    private void LoadElements(in MappedFile.Lease lease, long offset, byte* dst, long count)
    {
        if (count <= 0)
            return;
        if (lease.IsPlain)
        {
            ElementCopier.Load(lease.Pointer + offset, dst, count, DType);
            return;
        }
        int item = DType.ItemSize;
        if (!NeedsLoadConversion)
        {
            lease.Read(offset, dst, count * item);
            return;
        }
        long perChunk = Math.Min(count, Math.Max(1, StagingBytes / item));
        byte* staging = (byte*)NativeMemory.Alloc((nuint)(perChunk * item));
        try
        {
            for (long done = 0; done < count; done += perChunk)
            {
                long n = Math.Min(perChunk, count - done);
                lease.Read(offset + done * item, staging, n * item);
                ElementCopier.Load(staging, dst + done * DType.LoadedItemSize, n, DType);
            }
        }
        finally
        {
            NativeMemory.Free(staging);
        }
    }

    /// <summary>Stores <paramref name="count"/> elements in tensor layout at <paramref name="src"/> to file offset <paramref name="offset"/>;
    /// the values have been checked to fit.</summary>
    private void StoreElements(in MappedFile.Lease lease, long offset, byte* src, long count)
    {
        if (count <= 0)
            return;
        if (lease.IsPlain)
        {
            ElementCopier.Store(src, lease.Pointer + offset, count, DType);
            return;
        }
        int item = DType.ItemSize;
        if (!DType.NeedsConversion)
        {
            lease.Write(offset, src, count * item);
            return;
        }
        long perChunk = Math.Min(count, Math.Max(1, StagingBytes / item));
        byte* staging = (byte*)NativeMemory.Alloc((nuint)(perChunk * item));
        try
        {
            for (long done = 0; done < count; done += perChunk)
            {
                long n = Math.Min(perChunk, count - done);
                ElementCopier.Store(src + done * DType.LoadedItemSize, staging, n, DType);
                lease.Write(offset + done * item, staging, n * item);
            }
        }
        finally
        {
            NativeMemory.Free(staging);
        }
    }
}
