using TorchMmap.Cli;

namespace TorchMmap.Tests.Cli;

/// <summary><c>npy info/head/stats --raw</c> on headerless files written by NumPy's <c>np.memmap</c>.</summary>
public sealed class NpyToolRawTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-cliraw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = NpyTool.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    // A (4, 3) big-endian float32 array in Fortran order at offset 16, values 0..11 in C order, written by np.memmap.
    private string WriteNumPyRaw()
    {
        string path = Path.Combine(_dir, "raw.bin");
        NumPyScript.Run("""
import sys, numpy as np
m = np.memmap(sys.argv[1], dtype='>f4', mode='w+', offset=16, shape=(4, 3), order='F')
m[:] = np.arange(12).reshape(4, 3)
m.flush()
""", path);
        return path;
    }

    [Trait("Requires", "python")]
    [Fact]
    public void InfoHeadStats_RawOptions_ReadTheFileAsNpMemmapDoes()
    {
        string path = WriteNumPyRaw();
        string[] raw = ["--raw", ">f4", "--offset", "16", "--shape", "4,3", "--fortran"];

        (int code, string stdout, string stderr) = Run(["info", path, .. raw]);
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("shape:         (4, 3)", stdout);
        Assert.Contains("fortran order: True", stdout);
        Assert.Contains("data offset:   16", stdout);
        Assert.Contains("valid:         yes", stdout);

        (code, stdout, _) = Run(["head", path, "2", .. raw]);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("[0] 0 1 2", stdout);
        Assert.Contains("[1] 3 4 5", stdout);

        (code, stdout, _) = Run(["stats", path, .. raw]);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("count 12 min 0 max 11 mean 5.5", stdout);
    }

    [Fact]
    public void Info_RawShapeInferred_SaysSoAndCountsTrailingBytes()
    {
        string path = Path.Combine(_dir, "tokens.bin");
        File.WriteAllBytes(path, new byte[10]);
        (int code, string stdout, _) = Run("info", path, "--raw", "uint16", "--offset", "2");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("shape:         (4,) (inferred from the file size)", stdout);
    }

    [Trait("Requires", "python")]
    [Fact]
    public void Info_RawLayoutTheFileCannotHold_IsInvalidNamingTheFile()
    {
        string path = WriteNumPyRaw();
        (int code, string stdout, _) = Run("info", path, "--raw", "int32", "--offset", "3");
        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains("valid:         no", stdout);
        Assert.Contains(path, stdout);
        (code, _, string stderr) = Run("head", path, "--raw", "float64", "--shape", "100");
        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains(path, stderr);
    }

    [Theory]
    [InlineData("info", "x.bin", "--offset", "4")]                 // layout options without --raw
    [InlineData("info", "x.bin", "--raw", "float128")]
    [InlineData("head", "x.bin", "--raw", "<f4", "--shape", "3,-1")]
    [InlineData("stats", "x.bin", "--raw")]
    public void RawOptions_Malformed_AreUsageErrors(params string[] args) =>
        Assert.Equal(ExitCodes.Usage, Run(args).Code);
}
