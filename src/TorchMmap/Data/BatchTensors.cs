using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>Makes a new batch the way every dataset's <c>GetBatch</c> does: one tensor per name, filled in place.</summary>
internal static class BatchTensors
{
    /// <summary>Fills rows [0, indices.Length) of each tensor of <paramref name="batch"/>; may add or replace entries.</summary>
    /// <param name="indices">The samples, one per row.</param>
    /// <param name="batch">The batch being made.</param>
    internal delegate void Filler(ReadOnlySpan<long> indices, Dictionary<string, Tensor> batch);

    /// <summary>
    /// Makes an uninitialised <c>(indices.Length, *sample shape)</c> tensor for each entry of <paramref name="layout"/>, lets
    /// <paramref name="fill"/> fill them, and hands only the batch's tensors out of a dispose scope of its own, so whatever
    /// the fill makes on the way (conversions, column batches it copies from) is freed.
    /// </summary>
    /// <param name="layout">Name, sample shape and element type of each tensor.</param>
    /// <param name="indices">The samples, one per row.</param>
    /// <param name="fill">Fills the rows.</param>
    /// <returns>The batch; the caller owns its tensors.</returns>
    internal static Dictionary<string, Tensor> Make(IReadOnlyList<(string Name, long[] SampleShape, ScalarType Type)> layout, ReadOnlySpan<long> indices, Filler fill)
    {
        using DisposeScope scope = NewDisposeScope();
        var batch = new Dictionary<string, Tensor>(layout.Count, StringComparer.Ordinal);
        foreach ((string name, long[] shape, ScalarType type) in layout)
            batch[name] = TensorMemory.Empty([indices.Length, .. shape], type);
        fill(indices, batch);
        foreach (Tensor t in batch.Values)
            t.MoveToOuterDisposeScope();
        return batch;
    }
}
