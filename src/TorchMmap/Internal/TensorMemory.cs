using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Internal;

/// <summary>Creates CPU tensors and exposes their storage to the copy routines.</summary>
internal static unsafe partial class TensorMemory
{
    // The same native library TorchSharp itself loads; it is already resident once any tensor exists.
    [LibraryImport("LibTorchSharp")]
    private static partial nint THSTensor_data(nint handle);

    // Physical memory, or the container's limit: what no single allocation of this process can exceed.
    private static readonly Lazy<long> s_memoryLimit = new(() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>A new, uninitialised, contiguous CPU tensor.</summary>
    public static Tensor Empty(ReadOnlySpan<long> shape, ScalarType type) => torch.empty(shape, dtype: type, device: torch.CPU);

    /// <summary>
    /// A new tensor to load <paramref name="what"/> of <paramref name="name"/> into: refused before allocating when it is
    /// larger than all the memory the process can have (physical memory or the container's limit), and a failed
    /// allocation reported with the file and the size instead of libtorch's bare error.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The tensor cannot fit, or could not be allocated.</exception>
    public static Tensor EmptyForLoad(ReadOnlySpan<long> shape, ScalarType type, string name, string what)
    {
        Int128 bytes = ElementSize(type);
        foreach (long d in shape)
            bytes *= d;
        long limit = s_memoryLimit.Value;
        if (limit > 0 && bytes > limit)
            throw new InsufficientMemoryException(Messages.Format(Messages.LoadTooLarge, name, what, bytes, limit));
        try
        {
            return Empty(shape, type);
        }
        catch (ExternalException ex)
        {
            throw new InsufficientMemoryException(Messages.Format(Messages.LoadAllocationFailed, name, what, bytes, ex.Message), ex);
        }
    }

    /// <summary>The address of the first element of a contiguous CPU tensor (null when it has no elements).</summary>
    /// <exception cref="ArgumentException">The tensor is not on the CPU or not contiguous.</exception>
    public static byte* DataPointer(Tensor tensor, string paramName)
    {
        if (tensor.device_type != DeviceType.CPU)
            throw new ArgumentException(Messages.Format(Messages.TensorNotOnCpu, tensor.device), paramName);
        if (!tensor.is_contiguous())
            throw new ArgumentException(Messages.TensorNotContiguous, paramName);
        if (tensor.numel() == 0)
            return null;
        return (byte*)THSTensor_data(tensor.Handle);
    }

    /// <summary>Writes <paramref name="bytes"/> bytes from <paramref name="source"/> to <paramref name="stream"/>, in pieces a span can hold.</summary>
    public static void WriteTo(Stream stream, byte* source, long bytes)
    {
        const int Chunk = 1 << 30;
        for (long done = 0; done < bytes; done += Chunk)
            stream.Write(new ReadOnlySpan<byte>(source + done, (int)Math.Min(Chunk, bytes - done)));
    }

    /// <summary>Bytes per element of a tensor type.</summary>
    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Bool or ScalarType.Byte or ScalarType.Int8 => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new NotSupportedException(Messages.Format(Messages.TensorTypeUnsupported, type)),
    };
}
