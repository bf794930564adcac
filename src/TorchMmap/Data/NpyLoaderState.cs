using System.Text.Json;

namespace TorchMmap.Data;

/// <summary>
/// Where an <see cref="NpyDataLoader"/> is in its run, as PyTorch's <c>state_dict()</c>: enough to restart a run mid-epoch
/// and see exactly the batches it would have seen. Serialise it with <see cref="ToJson"/> beside a model checkpoint.
/// </summary>
/// <param name="Epoch">The epoch in progress (or the next one, at an epoch boundary).</param>
/// <param name="BatchesConsumed">Batches of that epoch already handed to the training loop.</param>
/// <param name="Seed">The sampler seed the order derives from.</param>
/// <param name="BatchSize">The batch size.</param>
/// <param name="DropLast">Whether a short last batch is dropped.</param>
/// <param name="DatasetCount">The dataset's number of samples.</param>
public sealed record NpyLoaderState(long Epoch, long BatchesConsumed, long Seed, int BatchSize, bool DropLast, long DatasetCount)
{
    /// <summary>The state as JSON.</summary>
    /// <returns>A JSON object.</returns>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Reads a state written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The state.</returns>
    /// <exception cref="ArgumentException">The JSON is not a loader state.</exception>
    public static NpyLoaderState FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize<NpyLoaderState>(json) ?? throw new ArgumentException("The JSON is null, not a loader state.", nameof(json));
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"The JSON is not a loader state: {ex.Message}", nameof(json), ex);
        }
    }
}
