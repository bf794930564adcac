using System.Text.Json;
using System.Text.Json.Serialization;
using TorchMmap.Internal;

namespace TorchMmap.Data;

/// <summary>
/// Where an <see cref="NpyDataLoader"/> is in its run, as PyTorch's <c>state_dict()</c>: enough to restart a run mid-epoch
/// and see exactly the samples it would have seen, with the same or another number of replicas. Serialise it with
/// <see cref="ToJson"/> beside a model checkpoint.
/// </summary>
/// <remarks>
/// The position is global: the number of positions of the epoch's global order (see <see cref="Sampler"/>) that all
/// replicas together have consumed. A run checkpointed with W replicas of batch size B may resume with W' replicas of
/// batch size B' when W × B = W' × B': every replica continues from the same position, so no sample of the epoch is
/// repeated or skipped and the global order is the uninterrupted run's.
/// </remarks>
/// <param name="Epoch">The epoch in progress (or the next one, at an epoch boundary).</param>
/// <param name="Position">The global sample position reached in that epoch.</param>
/// <param name="GlobalBatchSize">The batch size times the number of replicas.</param>
/// <param name="DropLast">Whether a short last batch is dropped.</param>
/// <param name="Order">The sampler's <see cref="Sampler.OrderDescription"/>: the kind of order and its settings.</param>
/// <param name="Dataset">The dataset's <see cref="IBatchDataset.Fingerprint"/>.</param>
public sealed record NpyLoaderState(
    [property: JsonRequired] long Epoch,
    [property: JsonRequired] long Position,
    [property: JsonRequired] int GlobalBatchSize,
    [property: JsonRequired] bool DropLast,
    [property: JsonRequired] string Order,
    [property: JsonRequired] DatasetFingerprint Dataset)
{
    /// <summary>The version of the state's layout that this library writes and reads.</summary>
    public const int CurrentVersion = 2;

    private static readonly JsonSerializerOptions Options = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>Gets the version of the state's layout; <see cref="CurrentVersion"/> for states made by this library.</summary>
    [JsonRequired]
    public int Version { get; init; } = CurrentVersion;

    /// <summary>The state as JSON.</summary>
    /// <returns>A JSON object.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads a state written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The state.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The JSON is not a loader state: not JSON, a member missing, unknown or of the
    /// wrong type, a value out of range, or another layout version.</exception>
    public static NpyLoaderState FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        NpyLoaderState? state;
        try
        {
            state = JsonSerializer.Deserialize<NpyLoaderState>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException(Messages.Format(Messages.StateJsonInvalid, ex.Message), nameof(json), ex);
        }

        if (state is null)
        {
            throw new ArgumentException(Messages.StateJsonNull, nameof(json));
        }

        string? problem = state.Problem();
        return problem is null ? state : throw new ArgumentException(Messages.Format(Messages.StateJsonProblem, problem), nameof(json));
    }

    /// <summary>Returns what makes the state invalid whatever loader reads it, or <see langword="null"/>.</summary>
    internal string? Problem()
    {
        if (Version != CurrentVersion)
        {
            return $"its layout version is {Version}, and this library reads version {CurrentVersion}";
        }

        if (Epoch < 0 || Position < 0 || GlobalBatchSize < 1)
        {
            return $"epoch {Epoch}, position {Position} and global batch size {GlobalBatchSize} must be non-negative, non-negative and positive";
        }

        if (string.IsNullOrEmpty(Order))
        {
            return "its order is empty";
        }

        if (Dataset is null || Dataset.Arrays is null || Dataset.Count < 0 || Dataset.Arrays.Any(a => a is null || a.Name is null || a.DType is null || a.Shape is null || a.ContentSample is null))
        {
            return "its dataset fingerprint is missing or incomplete";
        }

        return null;
    }
}
