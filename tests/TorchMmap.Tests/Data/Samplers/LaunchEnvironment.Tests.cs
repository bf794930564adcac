using TorchMmap.Data;

namespace TorchMmap.Tests.Data;

public sealed class LaunchEnvironmentTests
{
    private static LaunchEnvironment Parse(params (string Name, string? Value)[] variables) =>
        LaunchEnvironment.Parse(variables.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void Parse_NoLauncher_IsRankZeroOfOne() => Assert.Equal(LaunchEnvironment.Single, Parse(("PATH", "/usr/bin"), ("RANK", "")));

    [Fact]
    public void Parse_Torchrun_ReadsAllFour() =>
        Assert.Equal(new LaunchEnvironment("torchrun", 5, 8, 1, 4), Parse(("RANK", "5"), ("WORLD_SIZE", "8"), ("LOCAL_RANK", "1"), ("LOCAL_WORLD_SIZE", "4")));

    [Fact]
    public void Parse_OpenMpi_ReadsOmpiVariables() =>
        Assert.Equal(new LaunchEnvironment("Open MPI", 2, 4, 2, 4),
            Parse(("OMPI_COMM_WORLD_RANK", "2"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_RANK", "2"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "4")));

    [Fact]
    public void Parse_Mpich_ReadsPmiVariables() =>
        Assert.Equal(new LaunchEnvironment("MPICH/Intel MPI", 3, 6, null, null), Parse(("PMI_RANK", "3"), ("PMI_SIZE", "6")));

    [Fact]
    public void Parse_Slurm_ReadsSlurmVariables() =>
        Assert.Equal(new LaunchEnvironment("Slurm", 7, 16, 3, null), Parse(("SLURM_PROCID", "7"), ("SLURM_NTASKS", "16"), ("SLURM_LOCALID", "3")));

    [Fact]
    public void Parse_TorchrunInsideSlurmAndMpi_TorchrunWins()
    {
        // torchrun started by srun: each srun task is one node, torchrun's RANK is the process's global rank.
        LaunchEnvironment e = Parse(("SLURM_PROCID", "1"), ("SLURM_NTASKS", "2"), ("PMI_RANK", "1"), ("PMI_SIZE", "2"),
            ("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2"), ("RANK", "6"), ("WORLD_SIZE", "8"));
        Assert.Equal(("torchrun", 6, 8), (e.Launcher, e.Rank, e.WorldSize));
    }

    [Fact]
    public void Parse_OpenMpiBeforePmiBeforeSlurm()
    {
        Assert.Equal("Open MPI", Parse(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "2"), ("PMI_RANK", "1"), ("PMI_SIZE", "2"), ("SLURM_PROCID", "1"), ("SLURM_NTASKS", "2")).Launcher);
        Assert.Equal("MPICH/Intel MPI", Parse(("PMI_RANK", "1"), ("PMI_SIZE", "2"), ("SLURM_PROCID", "0"), ("SLURM_NTASKS", "2")).Launcher);
    }

    [Theory]
    [InlineData("RANK", "3", "WORLD_SIZE")]
    [InlineData("WORLD_SIZE", "3", "RANK")]
    [InlineData("LOCAL_RANK", "0", "RANK")]
    [InlineData("OMPI_COMM_WORLD_RANK", "1", "OMPI_COMM_WORLD_SIZE")]
    [InlineData("PMI_SIZE", "4", "PMI_RANK")]
    [InlineData("SLURM_PROCID", "0", "SLURM_NTASKS")]
    public void Parse_PartialLauncher_ThrowsNamingPresentAndMissing(string present, string value, string missing)
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => Parse((present, value)));
        Assert.Contains(present, ex.Message, StringComparison.Ordinal);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4", "4", null, null, "RANK=4")]
    [InlineData("-1", "4", null, null, "RANK=-1")]
    [InlineData("0", "0", null, null, "WORLD_SIZE=0")]
    [InlineData("1", "4", "2", "2", "LOCAL_RANK=2")]
    [InlineData("1", "4", "0", "8", "LOCAL_WORLD_SIZE=8")]
    [InlineData("1", "two", null, null, "'two'")]
    public void Parse_InconsistentTorchrun_ThrowsNamingTheVariables(string rank, string world, string? localRank, string? localWorld, string named)
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => Parse(("RANK", rank), ("WORLD_SIZE", world), ("LOCAL_RANK", localRank), ("LOCAL_WORLD_SIZE", localWorld)));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }
}
