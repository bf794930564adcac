using FashionMnist;

namespace TorchMmap.Tests.Examples;

public sealed class ProgramOptionsTests
{
    [Fact]
    public void Parse_NoArguments_UsesDebianDataAndOutFolder()
    {
        ProgramOptions options = ProgramOptions.Parse([])!;

        Assert.Equal("/usr/share/datasets/fashion-mnist", options.DataDirectory);
        Assert.Equal("out/fashion-mnist", options.OutputDirectory);
        Assert.Equal(new TrainingSettings(), options.Settings);
    }

    [Fact]
    public void Parse_EveryOption_SetsIt()
    {
        ProgramOptions options = ProgramOptions.Parse(
            ["--data", "d", "--out", "o", "--epochs", "3", "--batch-size", "64", "--seed", "-7", "--threads", "1", "--width", "16", "--lr", "0.01", "--no-augment"])!;

        Assert.Equal("d", options.DataDirectory);
        Assert.Equal("o", options.OutputDirectory);
        TrainingSettings s = options.Settings;
        Assert.Equal((3, 64, -7L, 1, 16, 0.01, false, 0), (s.Epochs, s.BatchSize, s.Seed, s.Threads, s.Width, s.MaxLearningRate, s.Flip, s.CropPadding));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Parse_Help_ReturnsNull(string flag) => Assert.Null(ProgramOptions.Parse(["--epochs", "2", flag]));

    [Theory]
    [InlineData(new[] { "--epochs", "0" }, "--epochs")]
    [InlineData(new[] { "--batch-size", "big" }, "--batch-size")]
    [InlineData(new[] { "--lr", "-1" }, "--lr")]
    [InlineData(new[] { "--epochs" }, "needs a value")]
    [InlineData(new[] { "--colour", "red" }, "Unknown option '--colour'")]
    [InlineData(new[] { "stray" }, "Unexpected argument 'stray'")]
    public void Parse_BadCommandLine_ThrowsArgumentSayingWhat(string[] args, string message)
    {
        var e = Assert.Throws<UsageException>(() => ProgramOptions.Parse(args));
        Assert.Contains(message, e.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", e.Reason, StringComparison.Ordinal);
    }
}
