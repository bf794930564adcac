using System.Globalization;
using TorchMmap.Cli;
using TorchMmap.Format;
using TorchMmap.Tests.Idx;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Cli;

public sealed class NpyToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter(CultureInfo.InvariantCulture);
        var stderr = new StringWriter(CultureInfo.InvariantCulture);
        int code = NpyTool.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string SaveArange(string name, long count, ScalarType type, params long[] shape)
    {
        string path = PathOf(name);
        using Tensor t = torch.arange(count, dtype: type).reshape(shape);
        Npy.Save(path, t);
        return path;
    }

    // A .npy file whose data is cut short: a valid header, then fewer bytes than the shape needs.
    private string WriteTruncated()
    {
        string path = SaveArange("whole.npy", 100, ScalarType.Float32, 100);
        byte[] bytes = File.ReadAllBytes(path);
        string cut = PathOf("cut.npy");
        File.WriteAllBytes(cut, bytes[..^40]);
        return cut;
    }

    [Fact]
    public void Info_ValidFile_PrintsHeaderFieldsAndExitsZero()
    {
        string path = SaveArange("a.npy", 24, ScalarType.Int16, 2, 3, 4);

        (int code, string output, _) = Run("info", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("version:       1.0", output, StringComparison.Ordinal);
        Assert.Contains("dtype:         <i2", output, StringComparison.Ordinal);
        Assert.Contains("shape:         (2, 3, 4)", output, StringComparison.Ordinal);
        Assert.Contains("fortran order: False", output, StringComparison.Ordinal);
        // np.save pads the header so data starts at a multiple of 64.
        Assert.Contains("data offset:   128", output, StringComparison.Ordinal);
        Assert.Contains("data size:     48 bytes (24 elements)", output, StringComparison.Ordinal);
        Assert.Contains("valid:         yes", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_TruncatedFile_SaysInvalidWithReasonAndExitsOne()
    {
        string path = WriteTruncated();

        (int code, string output, _) = Run("info", path);

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains("valid:         no", output, StringComparison.Ordinal);
        Assert.Contains("400 bytes of data", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_NpzArchive_DescribesEachArray()
    {
        string path = PathOf("pair.npz");
        using (Tensor a = torch.zeros(3, 2, dtype: ScalarType.Float64))
        using (Tensor b = torch.ones(5, dtype: ScalarType.Int64))
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });

        (int code, string output, _) = Run("info", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("array:         a", output, StringComparison.Ordinal);
        Assert.Contains("shape:         (3, 2)", output, StringComparison.Ordinal);
        Assert.Contains("array:         b", output, StringComparison.Ordinal);
        Assert.Contains("shape:         (5,)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Head_DefaultCount_PrintsFiveRowsAndWhatRemains()
    {
        string path = SaveArange("m.npy", 40, ScalarType.Int32, 10, 4);

        (int code, string output, _) = Run("head", path);

        Assert.Equal(ExitCodes.Success, code);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["[0] 0 1 2 3", "[1] 4 5 6 7", "[2] 8 9 10 11", "[3] 12 13 14 15", "[4] 16 17 18 19", "... 5 more rows of (10, 4)"], lines);
    }

    [Fact]
    public void Head_CountAndFloats_PrintsThatManyRows()
    {
        string path = PathOf("f.npy");
        using (Tensor t = torch.tensor(new float[] { 0.5f, -1.25f, 3f }))
            Npy.Save(path, t);

        (int code, string output, _) = Run("head", path, "2");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(["[0] 0.5", "[1] -1.25", "... 1 more rows of (3,)"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("many")]
    public void Head_CountNotPositive_ExitsTwo(string count)
    {
        string path = SaveArange("m.npy", 4, ScalarType.Int32, 4);

        (int code, _, string error) = Run("head", path, count);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(count, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_ArrayLargerThanOneChunk_GivesExactMinMaxMean()
    {
        // 3,000,000 float32 values span two 8 MiB chunks; the values are -1.5e6 .. 1.5e6 - 1, so the mean is -0.5.
        long n = 3_000_000;
        string path = PathOf("big.npy");
        using (Tensor t = torch.arange(-n / 2, n / 2, dtype: ScalarType.Float32))
            Npy.Save(path, t);
        Assert.True(n * 4 > TorchMmap.Cli.Commands.StatsCommand.ChunkBytes);

        (int code, string output, _) = Run("stats", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("count 3000000 min -1500000 max 1499999 mean -0.5", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_NaNPresent_ReportsNaNAsNumPyDoes()
    {
        string path = PathOf("nan.npy");
        using (Tensor t = torch.tensor(new double[] { 1, double.NaN, 3 }))
            Npy.Save(path, t);

        (int code, string output, _) = Run("stats", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("min NaN max NaN mean NaN", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_NpzArchive_ReportsEachArray()
    {
        string path = PathOf("s.npz");
        using (Tensor a = torch.tensor(new long[] { 2, 4, 9 }))
        using (Tensor b = torch.tensor(new byte[] { 0, 255 }))
            Npy.SaveNpz(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });

        (int code, string output, _) = Run("stats", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains($"{path}:a: <i8 (3,) count 3 min 2 max 9 mean 5", output, StringComparison.Ordinal);
        Assert.Contains($"{path}:b: |u1 (2,) count 2 min 0 max 255 mean 127.5", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_TruncatedFile_ExitsOneNamingTheFile()
    {
        string path = WriteTruncated();

        (int code, _, string error) = Run("stats", path);

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains(path, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvertIdx_GzipImages_WritesNpyAndExitsZero()
    {
        byte[] data = Enumerable.Range(0, 2 * 3 * 3).Select(i => (byte)i).ToArray();
        string idx = PathOf("img.idx.gz");
        using (var file = File.Create(idx))
        using (var zip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
            zip.Write(IdxFiles.UInt8(data, 2, 3, 3));
        string npy = PathOf("img.npy");

        (int code, string output, _) = Run("convert-idx", idx, npy, "--channel-axis");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("|u1 (2, 1, 3, 3)", output, StringComparison.Ordinal);
        using Tensor loaded = Npy.Load(npy);
        Assert.Equal(data, loaded.data<byte>().ToArray());
    }

    [Fact]
    public void ConvertIdx_Labels_WidenedWithOption()
    {
        string idx = PathOf("lab.idx");
        File.WriteAllBytes(idx, IdxFiles.UInt8([3, 1, 4], 3));
        string npy = PathOf("lab.npy");

        (int code, string output, _) = Run("convert-idx", idx, npy, "--int64-labels");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("<i8 (3,)", output, StringComparison.Ordinal);
        Assert.Equal(NpyDType.Int64, NpyHeader.Read(npy).DType);
    }

    [Fact]
    public void ConvertIdx_BadIdx_ExitsOneNamingTheFile()
    {
        string idx = PathOf("bad.idx");
        File.WriteAllBytes(idx, [0x00, 0x00, 0x42, 0x01, 0, 0, 0, 1, 9]);

        (int code, _, string error) = Run("convert-idx", idx, PathOf("out.npy"));

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains(idx, error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("out.npy")));
    }

    [Fact]
    public void Align_NpySaveFile_WritesTheSameArrayWithDataOnAPage()
    {
        string path = SaveArange("a.npy", 24, ScalarType.Float32, 2, 3, 4);
        string aligned = PathOf("a-page.npy");

        (int code, string output, _) = Run("align", path, aligned);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("<f4 (2, 3, 4), data at byte 4096", output, StringComparison.Ordinal);
        Assert.Equal(4096, NpyHeader.Read(aligned).DataOffset);
        using Tensor before = Npy.Load(path), after = Npy.Load(aligned);
        Assert.True(before.eq(after).all().item<bool>());
    }

    [Fact]
    public void Align_BadAlignment_ExitsUsageAndWritesNothing()
    {
        string path = SaveArange("a.npy", 6, ScalarType.Int32, 6);

        (int code, _, string error) = Run("align", path, PathOf("out.npy"), "--alignment", "100");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--alignment 100", error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("out.npy")));
    }

    [Fact]
    public void Align_NpzArchive_ExitsUsageNamingIt()
    {
        string npz = PathOf("a.npz");
        using (Tensor t = torch.arange(4, dtype: ScalarType.Int64))
            Npy.SaveNpz(npz, new Dictionary<string, Tensor> { ["x"] = t });

        (int code, _, string error) = Run("align", npz, PathOf("out.npy"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(npz, error, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf("out.npy")));
    }

    [Fact]
    public void Verify_ValidFile_ExitsZero()
    {
        string path = SaveArange("v.npy", 6, ScalarType.Float64, 2, 3);

        (int code, string output, _) = Run("verify", path);

        Assert.Equal(ExitCodes.Success, code);
        Assert.StartsWith("valid:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_TruncatedFile_ExitsOneWithTheReason()
    {
        string path = WriteTruncated();

        (int code, string output, _) = Run("verify", path);

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.StartsWith("invalid:", output, StringComparison.Ordinal);
        Assert.Contains(path, output, StringComparison.Ordinal);
        Assert.Contains("400 bytes of data", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_NotNpy_ExitsOneWithTheReason()
    {
        string path = PathOf("text.npy");
        File.WriteAllText(path, "hello, world");

        (int code, string output, _) = Run("verify", path);

        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains("not a .npy file", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("info")]
    [InlineData("head")]
    [InlineData("stats")]
    [InlineData("verify")]
    public void Command_MissingFile_ExitsThree(string command)
    {
        string path = PathOf("absent.npy");

        (int code, _, string error) = Run(command, path);

        Assert.Equal(ExitCodes.IOError, code);
        Assert.Contains(path, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvertIdx_MissingInput_ExitsThree()
    {
        (int code, _, _) = Run("convert-idx", PathOf("absent.gz"), PathOf("x.npy"));

        Assert.Equal(ExitCodes.IOError, code);
    }

    [Theory]
    [InlineData(new string[0], "npy: Required command was not provided")]
    [InlineData(new[] { "frobnicate" }, "npy: Unrecognized command or argument 'frobnicate'")]
    [InlineData(new[] { "info" }, "npy info: Required argument 'FILE' missing")]
    [InlineData(new[] { "info", "a.npy", "b.npy" }, "npy info: Unrecognized command or argument 'b.npy'")]
    [InlineData(new[] { "convert-idx", "in" }, "npy convert-idx: Required argument 'OUT' missing")]
    [InlineData(new[] { "stats", "a.npy", "--fast" }, "npy stats: Unrecognized command or argument '--fast'")]
    public void Run_BadCommandLine_ExitsTwoWithUsage(string[] args, string message)
    {
        (int code, string output, string error) = Run(args);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Help_PrintsUsageAndExitsZero()
    {
        (int code, string output, _) = Run("help");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("convert-idx <IN> <OUT>", output, StringComparison.Ordinal);
    }
}
