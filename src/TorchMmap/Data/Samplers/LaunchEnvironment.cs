using System.Collections;
using System.Globalization;
using TorchMmap.Internal;

namespace TorchMmap.Data;

/// <summary>
/// This process's place in a multi-process run, read from the variables its launcher set: the global rank and world
/// size that <see cref="DistributedSampler"/>, <see cref="FeistelSampler"/> and <see cref="BlockShuffleSampler"/> use by
/// default, and the rank on this node (to pick a device).
/// </summary>
/// <remarks>
/// <para>The launchers are tried in this order; the first one with any of its variables set decides:</para>
/// <list type="number">
/// <item><description><c>torchrun</c> (and <c>torch.distributed.launch</c>): <c>RANK</c>, <c>WORLD_SIZE</c>,
/// <c>LOCAL_RANK</c>, <c>LOCAL_WORLD_SIZE</c>.</description></item>
/// <item><description>Open MPI's <c>mpirun</c>: <c>OMPI_COMM_WORLD_RANK</c>, <c>OMPI_COMM_WORLD_SIZE</c>,
/// <c>OMPI_COMM_WORLD_LOCAL_RANK</c>, <c>OMPI_COMM_WORLD_LOCAL_SIZE</c>.</description></item>
/// <item><description>MPICH and Intel MPI (Hydra's PMI): <c>PMI_RANK</c>, <c>PMI_SIZE</c>, <c>MPI_LOCALRANKID</c>,
/// <c>MPI_LOCALNRANKS</c>.</description></item>
/// <item><description>Slurm's <c>srun</c>: <c>SLURM_PROCID</c>, <c>SLURM_NTASKS</c>, <c>SLURM_LOCALID</c> (Slurm has no
/// plain per-node task count).</description></item>
/// </list>
/// <para>
/// The order puts the launcher closest to the process first: <c>torchrun</c> started by <c>srun</c> or <c>mpirun</c>
/// sees its own <c>RANK</c>, not the outer launcher's task number. Within the chosen launcher the rank and world size
/// must both be set, be integers, and satisfy <c>0 &lt;= rank &lt; world size</c> (likewise the local pair when both are
/// set); anything else is an error naming the variables. With no launcher variables the process is rank 0 of 1.
/// Unset and empty variables are the same.
/// </para>
/// </remarks>
/// <param name="Launcher">The launcher the values came from: <c>torchrun</c>, <c>Open MPI</c>, <c>MPICH/Intel MPI</c>,
/// <c>Slurm</c>, or <c>none</c>.</param>
/// <param name="Rank">The global rank, in [0, <paramref name="WorldSize"/>).</param>
/// <param name="WorldSize">The number of processes in the run.</param>
/// <param name="LocalRank">The rank among the processes on this node, when the launcher sets it.</param>
/// <param name="LocalWorldSize">The number of processes on this node, when the launcher sets it.</param>
public sealed record LaunchEnvironment(string Launcher, int Rank, int WorldSize, int? LocalRank, int? LocalWorldSize)
{
    private static readonly LauncherVariables[] Launchers =
    [
        new("torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"),
        new("Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"),
        new("MPICH/Intel MPI", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
        new("Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", null),
    ];

    /// <summary>The values of a process that no launcher started: rank 0 of 1.</summary>
    public static LaunchEnvironment Single { get; } = new("none", 0, 1, 0, 1);

    /// <summary>Reads the launcher variables of this process.</summary>
    /// <returns>The rank and world size of the first launcher found, or <see cref="Single"/>.</returns>
    /// <exception cref="ArgumentException">The launcher's variables are partial, not integers, or inconsistent; the message names them.</exception>
    public static LaunchEnvironment Detect()
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = entry.Value as string;
        }

        return Parse(variables);
    }

    /// <summary>Reads the launcher variables from <paramref name="variables"/>, as <see cref="Detect"/> reads the process's.</summary>
    /// <param name="variables">Environment variables by name.</param>
    /// <returns>The rank and world size of the first launcher found, or <see cref="Single"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="variables"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The launcher's variables are partial, not integers, or inconsistent; the message names them.</exception>
    public static LaunchEnvironment Parse(IReadOnlyDictionary<string, string?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        foreach (LauncherVariables launcher in Launchers)
        {
            string? rank = Get(variables, launcher.Rank), size = Get(variables, launcher.Size);
            string? localRank = Get(variables, launcher.LocalRank), localSize = Get(variables, launcher.LocalSize);
            if (rank is null && size is null && localRank is null && localSize is null)
            {
                continue;
            }

            if (rank is null || size is null)
            {
                string missing = rank is null ? launcher.Rank : launcher.Size;
                string present = string.Join(", ", launcher.Names.Where(n => Get(variables, n) is not null));
                throw new ArgumentException(
                    Messages.Format(Messages.LaunchVariablesPartial, launcher.Name, present, missing, launcher.Rank, launcher.Size),
                    nameof(variables));
            }

            int worldSize = ParseInt(launcher.Size, size, nameof(variables));
            int globalRank = ParseInt(launcher.Rank, rank, nameof(variables));
            if (worldSize < 1 || globalRank < 0 || globalRank >= worldSize)
            {
                throw new ArgumentException(
                    Messages.Format(Messages.LaunchRankInconsistent, launcher.Name, launcher.Rank, globalRank, launcher.Size, worldSize, launcher.Size, launcher.Size),
                    nameof(variables));
            }

            int? local = localRank is null ? null : ParseInt(launcher.LocalRank!, localRank, nameof(variables));
            int? localWorld = localSize is null ? null : ParseInt(launcher.LocalSize!, localSize, nameof(variables));
            if (local < 0 || localWorld < 1 || localWorld > worldSize || local >= (localWorld ?? worldSize))
            {
                string localText = localWorld is null
                    ? $"{launcher.LocalRank}={local} with {launcher.Size}={worldSize}"
                    : $"{launcher.LocalRank}={(local is null ? "unset" : local)} and {launcher.LocalSize}={localWorld} with {launcher.Size}={worldSize}";
                throw new ArgumentException(
                    Messages.Format(Messages.LaunchLocalRankInconsistent, launcher.Name, localText),
                    nameof(variables));
            }

            return new LaunchEnvironment(launcher.Name, globalRank, worldSize, local, localWorld);
        }

        return Single;
    }

    private static string? Get(IReadOnlyDictionary<string, string?> variables, string? name) =>
        name is not null && variables.TryGetValue(name, out string? value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static int ParseInt(string name, string value, string paramName)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed))
        {
            throw new ArgumentException(Messages.Format(Messages.LaunchVariableNotInteger, name, value), paramName);
        }

        return parsed;
    }

    private sealed record LauncherVariables(string Name, string Rank, string Size, string? LocalRank, string? LocalSize)
    {
        public IEnumerable<string> Names => new[] { Rank, Size, LocalRank, LocalSize }.OfType<string>();
    }
}
