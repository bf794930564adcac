using TorchMmap.Internal;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>A dataset that can copy a batch into tensors the loader preallocated, so batch memory can be reused.</summary>
internal interface IBatchFill
{
    /// <summary>The name, sample shape and element type of each tensor of a batch, or null when batches cannot be filled in place
    /// (a conversion makes a new tensor per batch anyway).</summary>
    (string Name, long[] SampleShape, ScalarType Type)[]? FillLayout { get; }

    /// <summary>Copies the samples at <paramref name="indices"/> into rows [0, indices.Length) of each destination tensor, which
    /// are contiguous CPU tensors of <see cref="FillLayout"/> with at least indices.Length rows; returns false when batches
    /// cannot be filled in place right now (a conversion was set since the layout was taken), and the caller then makes the
    /// batch with GetBatch, whatever the destination holds. A copy split over threads is posted on <paramref name="help"/>
    /// (when given) for a waiting training loop to share, instead of waking thread-pool threads.</summary>
    bool TryFillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help = null);
}
