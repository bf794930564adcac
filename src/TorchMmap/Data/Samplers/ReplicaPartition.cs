using System.Globalization;

namespace TorchMmap.Data;

/// <summary>
/// PyTorch's <c>DistributedSampler</c> rules shared by the samplers that split an epoch among replicas:
/// resolving the replica count and rank, and sizing each replica's share.
/// </summary>
internal static class ReplicaPartition
{
    /// <summary>The environment variable that <c>torchrun</c> sets to the number of processes.</summary>
    internal const string WorldSizeVariable = "WORLD_SIZE";

    /// <summary>The environment variable that <c>torchrun</c> sets to the global rank of the process.</summary>
    internal const string RankVariable = "RANK";

    /// <summary>
    /// Resolves the replica count and rank, reading <c>WORLD_SIZE</c> and <c>RANK</c> for the ones that are
    /// <see langword="null"/> (1 and 0 when the variable is unset or empty).
    /// </summary>
    /// <exception cref="ArgumentException">An environment variable that is read does not hold an integer.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The replica count is less than 1.
    /// <para>-or-</para>
    /// The rank is negative or not less than the replica count.
    /// </exception>
    internal static (int NumReplicas, int Rank) Resolve(int? num_replicas, int? rank)
    {
        bool replicasFromEnvironment = num_replicas is null;
        int replicas = num_replicas ?? ReadVariable(WorldSizeVariable, defaultValue: 1, paramName: nameof(num_replicas));
        if (replicas < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(num_replicas), replicas, replicasFromEnvironment
                ? $"The {WorldSizeVariable} environment variable is {replicas}; the number of replicas must be at least 1."
                : "The number of replicas must be at least 1.");
        }

        bool rankFromEnvironment = rank is null;
        int resolvedRank = rank ?? ReadVariable(RankVariable, defaultValue: 0, paramName: nameof(rank));
        if (resolvedRank < 0 || resolvedRank >= replicas)
        {
            string rankSource = rankFromEnvironment ? $" (from the {RankVariable} environment variable)" : "";
            string replicasSource = replicasFromEnvironment ? $" (from the {WorldSizeVariable} environment variable)" : "";
            throw new ArgumentOutOfRangeException(nameof(rank), resolvedRank,
                $"Invalid rank {resolvedRank}{rankSource}: the rank must be in the interval [0, {replicas - 1}] for {replicas} replicas{replicasSource}.");
        }

        return (replicas, resolvedRank);
    }

    /// <summary>
    /// Returns PyTorch's <c>num_samples</c>: the indices per replica, <c>ceil(length / replicas)</c>, or
    /// <c>floor(length / replicas)</c> with <paramref name="dropLast"/> (PyTorch writes it as
    /// <c>ceil((length - replicas) / replicas)</c> when the division is inexact, which is the same number).
    /// </summary>
    internal static long NumSamples(long length, int numReplicas, bool dropLast)
    {
        long whole = length / numReplicas;
        return dropLast || length % numReplicas == 0 ? whole : whole + 1;
    }

    // Unset and empty both mean "not launched by torchrun", so they fall back to the single-process default.
    private static int ReadVariable(string name, int defaultValue, string paramName)
    {
        string? value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        if (!int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed))
        {
            throw new ArgumentException(
                $"The {name} environment variable is '{value}', which is not an integer; fix it or pass {paramName} explicitly.",
                paramName);
        }

        return parsed;
    }
}
