using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>A dataset that can copy a whole batch of rows at once: what <see cref="NpyDataLoader"/> reads from.</summary>
public interface IBatchDataset
{
    /// <summary>The number of samples.</summary>
    long Count { get; }

    /// <summary>The names of the arrays each sample holds, in order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>What identifies the dataset's content cheaply; a loader's <c>state_dict</c> records it to refuse resuming on other data.</summary>
    /// <remarks>The default knows only <see cref="Count"/>; datasets over files describe their arrays and a sample of their bytes.</remarks>
    DatasetFingerprint Fingerprint => DatasetFingerprint.OfCount(Count);

    /// <summary>Copies the samples at <paramref name="indices"/> into one new tensor per name.</summary>
    /// <param name="indices">Sample indices in [0, <see cref="Count"/>).</param>
    /// <returns>The batch; the caller owns its tensors.</returns>
    /// <exception cref="InvalidDataException">A file has been truncated since it was opened (checked before the copy).</exception>
    Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices);
}
