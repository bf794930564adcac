using TorchMmap.Cli;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchMmap.Text;

namespace TorchMmap.Tests.Cli;

public sealed class TokensCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-tokenscli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = NpyTool.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string Text(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Encode_ThenInfo_ReportsTheTokensWritten()
    {
        string input = Text("in.txt", "In the beginning God created the heaven and the earth.\n\nAnd the earth was without form.\n");
        string output = Path.Combine(_dir, "out.bin");
        (int code, string stdout, string stderr) = Run("tokens", "encode", output, input, "--documents", "paragraph");
        Assert.True(code == ExitCodes.Success, stderr);
        int[] expected = [50256, .. Gpt2Tokenizer.Shared.Encode("In the beginning God created the heaven and the earth.\n\n"), 50256, .. Gpt2Tokenizer.Shared.Encode("And the earth was without form.\n")];
        Assert.Contains($"{expected.Length} tokens (2 documents", stdout);
        using (TokenFile file = TokenFile.OpenLlmc(output))
        using (TokenStream stream = TokenStream.FromFiles([file]))
            Assert.Equal(expected.Select(t => (long)t), stream.Read(0, expected.Length));

        (code, stdout, stderr) = Run("tokens", "info", output, "--format", "llmc");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains($"tokens:      {expected.Length}", stdout);
        Assert.Contains("dtype:       <u2", stdout);
        Assert.Contains($"min token:   {expected.Min()}", stdout);
        Assert.Contains("max token:   50256", stdout);
        Assert.Contains("documents:   2 <|endoftext|>", stdout);
        Assert.Contains("as GPT-2:    <|endoftext|>In the beginning God", stdout);
    }

    [Theory]
    [InlineData("bin", null, TokenFileFormat.Raw, "<u2")]
    [InlineData("raw", "uint32", TokenFileFormat.Raw, "<u4")]
    [InlineData("npy", "int32", TokenFileFormat.Npy, "<i4")]
    [InlineData("llmc", "uint32", TokenFileFormat.Llmc, "<u4")]
    public void Encode_OutputFormatByOption_WritesThatFormat(string format, string? dtype, TokenFileFormat expectedFormat, string expectedDType)
    {
        string input = Text("in.txt", "Hello world");
        string output = Path.Combine(_dir, "out." + format);
        string[] args = dtype is null ? ["tokens", "encode", output, input, "--format", format] : ["tokens", "encode", output, input, "--format", format, "--dtype", dtype];
        (int code, _, string stderr) = Run(args);
        Assert.True(code == ExitCodes.Success, stderr);
        using TokenFile file = TokenFile.Open(output, expectedFormat, expectedFormat == TokenFileFormat.Raw ? expectedDType : null);
        Assert.Equal(expectedDType, file.DType.Descr);
        using TokenStream stream = TokenStream.FromFiles([file]);
        Assert.Equal([50256L, 15496, 995], stream.Read(0, 3));
    }

    [Fact]
    public void Encode_ShardTokens_RollsOverWithTheIndexInTheName()
    {
        string input = Text("in.txt", string.Join(' ', Enumerable.Repeat("word", 100)));
        string pattern = Path.Combine(_dir, "train_{0:D6}.bin");
        (int code, string stdout, string stderr) = Run("tokens", "encode", pattern, input, "--shard-tokens", "30");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("in 4 files", stdout);
        Assert.Equal(4, Directory.GetFiles(_dir, "train_*.bin").Length);
        (code, stdout, _) = Run(["tokens", "info", .. Directory.GetFiles(_dir, "train_*.bin").Order(StringComparer.Ordinal), "--format", "llmc"]);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("tokens:      101", stdout);
    }

    [Theory]
    [InlineData("tokens")]
    [InlineData("tokens", "frobnicate")]
    [InlineData("tokens", "info", "x.bin")]                                   // no --format: never guessed
    [InlineData("tokens", "info", "x.bin", "--format", "llmc", "--dtype", "uint32")]
    [InlineData("tokens", "encode", "out.bin", "in.txt", "--format", "llmc", "--dtype", "int32")]
    [InlineData("tokens", "encode", "out.bin", "in.txt", "--format", "bin", "--dtype", "uint32")]
    [InlineData("tokens", "encode", "out.bin", "in.txt", "--documents", "chapters")]
    [InlineData("tokens", "encode", "out.bin")]
    [InlineData("tokens", "encode", "out.bin", "in.txt", "--shard-tokens")]
    public void Run_BadCommandLine_IsAUsageError(params string[] args)
    {
        (int code, _, string stderr) = Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("npy tokens", stderr);
    }

    [Fact]
    public void Info_NotAShard_IsAnInvalidFileNamingIt()
    {
        string path = Text("text.bin", "definitely not an llm.c shard, just text");
        (int code, _, string stderr) = Run("tokens", "info", path, "--format", "llmc");
        Assert.Equal(ExitCodes.InvalidFile, code);
        Assert.Contains(path, stderr);
    }

    [Fact]
    public void Encode_MissingInput_IsAnIOErrorAndWritesNothing()
    {
        string output = Path.Combine(_dir, "out.bin");
        (int code, _, string stderr) = Run("tokens", "encode", output, Path.Combine(_dir, "missing.txt"));
        Assert.Equal(ExitCodes.IOError, code);
        Assert.Contains("missing.txt", stderr);
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
