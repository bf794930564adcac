using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>Turns a one-sample batch into a sample: the datasets' <c>GetTensor</c> is <c>GetBatch</c> of one index.</summary>
internal static class BatchSample
{
    /// <summary>Returns each tensor of <paramref name="batch"/> without its batch dimension and disposes the batch.</summary>
    /// <param name="batch">A batch of one sample; the caller hands over its tensors.</param>
    /// <returns>The sample; the caller owns its tensors.</returns>
    internal static Dictionary<string, Tensor> FromBatchOfOne(Dictionary<string, Tensor> batch)
    {
        using DisposeScope scope = NewDisposeScope();
        var sample = batch.ToDictionary(kv => kv.Key, kv => kv.Value.squeeze(0), StringComparer.Ordinal);
        foreach (Tensor t in batch.Values)
            t.Dispose();
        foreach (Tensor t in sample.Values)
            t.MoveToOuterDisposeScope();
        return sample;
    }
}
