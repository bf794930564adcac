using TorchMmap.Internal;

namespace TorchMmap.Data;

/// <summary>
/// PyTorch's <c>DistributedSampler</c> rules, in one place for every sampler and the loader: resolving the replica
/// count and rank, sizing each replica's share, and which positions of the epoch's global order a replica reads.
/// </summary>
internal static class ReplicaPartition
{
    /// <summary>
    /// Resolves the replica count and rank; the ones that are <see langword="null"/> come from the launcher's variables
    /// (<see cref="LaunchEnvironment.Detect"/>), or are 1 and 0 when no launcher set any.
    /// </summary>
    /// <exception cref="ArgumentException">The launcher variables that are read are partial, not integers, or inconsistent.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The replica count is less than 1.
    /// <para>-or-</para>
    /// The rank is negative or not less than the replica count.
    /// </exception>
    internal static (int NumReplicas, int Rank) Resolve(int? num_replicas, int? rank)
    {
        LaunchEnvironment? launch = num_replicas is null || rank is null ? LaunchEnvironment.Detect() : null;
        int replicas = num_replicas ?? launch!.WorldSize;
        if (replicas < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(num_replicas), replicas, Messages.ReplicasTooFew);
        }

        int resolvedRank = rank ?? launch!.Rank;
        if (resolvedRank < 0 || resolvedRank >= replicas)
        {
            string rankSource = rank is null ? $" (from the {launch!.Launcher} launcher's variables)" : "";
            string replicasSource = num_replicas is null ? $" (from the {launch!.Launcher} launcher's variables)" : "";
            throw new ArgumentOutOfRangeException(nameof(rank), resolvedRank,
                Messages.Format(Messages.RankOutOfRange, resolvedRank, rankSource, replicas - 1, replicas, replicasSource));
        }

        return (replicas, resolvedRank);
    }

    /// <summary>
    /// Returns PyTorch's <c>num_samples</c>: the indices per replica, <c>ceil(length / replicas)</c>, or
    /// <c>floor(length / replicas)</c> with <paramref name="dropLast"/> (PyTorch writes it as
    /// <c>ceil((length - replicas) / replicas)</c> when the division is inexact, which is the same number).
    /// </summary>
    internal static long NumSamples(long length, int numReplicas, bool dropLast) => Share(length, numReplicas, dropLast, start: 0);

    /// <summary>
    /// Returns the indices per replica for the rest of an epoch from global position <paramref name="start"/>: the
    /// positions <c>[start, length)</c> split as <see cref="NumSamples"/> splits a whole epoch (padded up to a multiple of
    /// the replica count, or cut down to one with <paramref name="dropLast"/>). Replica <c>r</c> reads the global
    /// positions <c>start + r + i * replicas</c>; a position <c>p &gt;= length</c> is padding and holds the order's
    /// position <c>p % length</c>, as in PyTorch.
    /// </summary>
    /// <remarks>
    /// From <c>start = 0</c> this is exactly PyTorch's split. A run that resumes at <c>start</c> with another replica
    /// count reads the positions after <c>start</c> once each, so the epoch's global order is the uninterrupted one.
    /// </remarks>
    internal static long Share(long length, int numReplicas, bool dropLast, long start)
    {
        long rest = Math.Max(0, length - start);
        long whole = rest / numReplicas;
        return dropLast || rest % numReplicas == 0 ? whole : whole + 1;
    }
}
