using System.Globalization;
using TorchMmap.Cli;
using TorchMmap.Tests.Idx;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Cli;

/// <summary>
/// The tool's verdicts and its handling of inputs a new user meets: valid-but-unsupported dtypes, compressed archives,
/// directories, per-command help, the version, and convert-idx's folders and options.
/// </summary>
public sealed class NpyToolVerdictsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-cli-verdicts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter(CultureInfo.InvariantCulture);
        var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int code = NpyTool.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    // A well-formed .npy as np.save writes it, of a dtype NumPy reads and TorchMmap cannot load.
    private string WriteUnsupported(string name, string descr, int itemSize)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict(descr, "(3,)"), new byte[3 * itemSize]));
        return path;
    }

    [Theory]
    [InlineData("<u8", 8)]
    [InlineData("<U2", 8)]
    public void Verify_ValidButUnsupportedDType_ExitsFourNotOne(string descr, int itemSize)
    {
        string path = WriteUnsupported("u.npy", descr, itemSize);

        (int code, string output, _) = Run("verify", path);

        Assert.Equal(ExitCodes.Unsupported, code);
        Assert.StartsWith("unsupported:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("invalid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_ValidButUnsupportedDType_SaysNotMalformed()
    {
        string path = WriteUnsupported("u8.npy", "<u8", 8);

        (int code, string output, _) = Run("info", path);

        Assert.Equal(ExitCodes.Unsupported, code);
        Assert.Contains("valid:         not malformed, but TorchMmap cannot load it:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("valid:         no:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Head_ValidButUnsupportedDType_ExitsFourLikeVerify()
    {
        string path = WriteUnsupported("u8.npy", "<u8", 8);

        Assert.Equal(ExitCodes.Unsupported, Run("head", path).Code);
        Assert.Equal(ExitCodes.Unsupported, Run("stats", path).Code);
    }

    [Fact]
    public void Info_Truncated_StillSaysMalformed()
    {
        string path = PathOf("t.npy");
        File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict("<f4", "(3,)"), new byte[5]));

        (int code, string output, _) = Run("verify", path);

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.StartsWith("invalid:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void HeadStatsVerify_CompressedNpz_AgreeAndReadTheValues()
    {
        string path = PathOf("c.npz");
        using (Tensor x = torch.arange(12, dtype: ScalarType.Float32).reshape(4, 3))
        using (Tensor y = torch.tensor(new long[] { 7, -2, 5 }))
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y }, compress: true);

        (int verify, _, _) = Run("verify", path);
        (int head, string rows, _) = Run("head", path, "2");
        (int stats, string summary, string error) = Run("stats", path);

        Assert.Equal(ExitCodes.Success, verify);
        Assert.Equal(ExitCodes.Success, head);
        Assert.Equal(ExitCodes.Success, stats);
        Assert.Contains("[0] 0 1 2", rows, StringComparison.Ordinal);
        Assert.Contains("[1] 3 4 5", rows, StringComparison.Ordinal);
        Assert.Contains("[1] -2", rows, StringComparison.Ordinal);
        // x: 0..11, mean 5.5; y: min -2, max 7, mean 10/3.
        Assert.Contains(":x: <f4 (4, 3) count 12 min 0 max 11 mean 5.5", summary, StringComparison.Ordinal);
        Assert.Contains(":y: <i8 (3,) count 3 min -2 max 7 mean 3.33333333", summary, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public void Head_FortranOrder_PrintsLogicalRows()
    {
        // (2, 3) in Fortran order: the file holds the columns [0, 3], [1, 4], [2, 5] one after another.
        string path = PathOf("f.npy");
        byte[] data = new byte[6 * 4];
        int[] fileOrder = [0, 3, 1, 4, 2, 5];
        for (int i = 0; i < 6; i++)
            BitConverter.TryWriteBytes(data.AsSpan(i * 4), fileOrder[i]);
        File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict("<i4", "(2, 3)", fortran: true), data));

        (int code, string output, _) = Run("head", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("[0] 0 1 2", output, StringComparison.Ordinal);
        Assert.Contains("[1] 3 4 5", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Head_RowsOfBillionsOfElements_PrintsTheFirstValuesOnly()
    {
        // Two rows of 2^32 bytes each (a sparse 8 GiB file): no row could be held in memory; only 16 values are read.
        string path = PathOf("huge.npy");
        byte[] header = NpyBytes.File(NpyBytes.Dict("|u1", "(2, 4294967296)"));
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.Write(header);
            file.SetLength(header.Length + 2 * 4294967296L);
            file.Position = header.Length + 4294967296L;
            file.WriteByte(9);
        }

        (int code, string output, string error) = Run("head", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("[0] 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ... (4294967296 values)", output, StringComparison.Ordinal);
        Assert.Contains("[1] 9 0 0", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public void Stats_RowLargerThanAChunk_GivesExactFigures()
    {
        // One row of 3 Mi float32 values (12 MiB, more than one 8 MiB chunk): values 0..n-1.
        int n = 3 << 20;
        string path = PathOf("wide.npy");
        using (Tensor t = torch.arange(n, dtype: ScalarType.Float32).reshape(1, n))
            Npy.Save(path, t);

        (int code, string output, _) = Run("stats", path);

        Assert.Equal(ExitCodes.Success, code);
        string expectedMean = ((n - 1) / 2.0).ToString("G9", CultureInfo.InvariantCulture);
        Assert.Contains($"count {n} min 0 max {n - 1} mean {expectedMean}", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("head")]
    [InlineData("stats")]
    [InlineData("verify")]
    public void Command_Directory_ExitsThreeSayingItIsADirectory(string command)
    {
        (int code, _, string error) = Run(command, _dir);

        Assert.Equal(ExitCodes.IOError, code);
        Assert.Contains("is a directory", error, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("info", "<FILE> [options]")]
    [InlineData("head", "<FILE> [<N>] [options]")]
    [InlineData("stats", "<FILE> [options]")]
    [InlineData("verify", "<FILE> [options]")]
    [InlineData("convert-idx", "<IN> <OUT> [options]")]
    [InlineData("tokens", "[command] [options]")]
    [InlineData("tokens encode", "<OUT> <TEXT>... [options]")]
    [InlineData("tokens info", "<FILE>... [options]")]
    [InlineData("help", "[<COMMAND>...] [options]")]
    public void Command_Help_PrintsThatCommandsUsage(string command, string usage)
    {
        (int code, string output, string error) = Run([.. command.Split(' '), "--help"]);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains($"Usage:{Environment.NewLine}  npy {command} {usage}", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("head")]
    [InlineData("stats")]
    public void Command_Help_ListsTheRawLayoutOptions(string command)
    {
        string output = Run(command, "-h").Out;

        foreach (string option in new[] { "--raw <DTYPE>", "--offset <N>", "--shape <D1,D2,...>", "--fortran" })
            Assert.Contains(option, output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_CommandNames_PrintsWhatThatCommandsHelpPrints()
    {
        (int code, string output, _) = Run("help", "tokens", "encode");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(Run("tokens", "encode", "--help").Out, output);
        Assert.Contains("--shard-tokens <N>", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_UnknownCommand_ExitsTwoNamingIt()
    {
        (int code, string output, string error) = Run("help", "frobnicate");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains("No command 'frobnicate'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BadValue_ExitsTwoWithThatCommandsUsageOnStderr()
    {
        (int code, string output, string error) = Run("tokens", "info", "x.bin", "--format", "llmc", "--preview", "0");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.StartsWith("npy tokens info: --preview takes a positive whole number; not '0'.", error, StringComparison.Ordinal);
        Assert.Contains($"Usage:{Environment.NewLine}  npy tokens info <FILE>...", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_Help_ListsEveryCommandAndTheExitCodes()
    {
        (int code, string output, _) = Run("--help");

        Assert.Equal(ExitCodes.Success, code);
        foreach (string command in new[] { "info <FILE>", "head <FILE>", "stats <FILE>", "verify <FILE>", "convert-idx <IN> <OUT>", "tokens", "help" })
            Assert.Contains($"  {command} ", output, StringComparison.Ordinal);
        Assert.Contains($"{ExitCodes.Unsupported} well formed but not loadable", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_PrintsTheToolsVersion()
    {
        (int code, string output, _) = Run("--version");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Matches(@"^npy \d+\.\d+\.\d+", output);
    }

    [Fact]
    public void ConvertIdx_MissingOutputFolder_ExitsThreeAndCreatesNothing()
    {
        string idx = PathOf("lab.idx");
        File.WriteAllBytes(idx, IdxFiles.UInt8([3, 1, 4], 3));
        string missing = PathOf("no/such/folder");

        (int code, _, string error) = Run("convert-idx", idx, Path.Combine(missing, "lab.npy"));

        Assert.Equal(ExitCodes.IOError, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(PathOf("no")));
    }

    [Theory]
    [InlineData("--channel-axis")]
    public void ConvertIdx_ChannelAxisOnLabels_ExitsTwo(string option)
    {
        string idx = PathOf("lab.idx");
        File.WriteAllBytes(idx, IdxFiles.UInt8([3, 1, 4], 3));

        (int code, _, string error) = Run("convert-idx", idx, PathOf("lab.npy"), option);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("applies to images", error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("lab.npy")));
    }

    [Fact]
    public void ConvertIdx_Int64LabelsOnImages_ExitsTwo()
    {
        string idx = PathOf("img.idx");
        File.WriteAllBytes(idx, IdxFiles.UInt8(new byte[2 * 2 * 2], 2, 2, 2));

        (int code, _, string error) = Run("convert-idx", idx, PathOf("img.npy"), "--int64-labels");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("applies to 1-d integer", error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("img.npy")));
    }
}
