using TinyGpt;
using TorchMmap.Data;

namespace TorchMmap.Tests.Examples;

public sealed class GptProgramOptionsTests
{
    [Fact]
    public void Parse_NoArguments_TrainsOnTokenWindowsWithTheDefaults()
    {
        TinyGpt.ProgramOptions options = TinyGpt.ProgramOptions.Parse([])!;

        Assert.Null(options.Settings.Packing);
        Assert.Equal(new TinyGpt.TrainingSettings(), options.Settings);
        Assert.Equal(TokenizerKind.Char, options.Tokenizer);
    }

    [Theory]
    [InlineData("split", PackingMode.Split)]
    [InlineData("aligned", PackingMode.Aligned)]
    [InlineData("bestfit", PackingMode.BestFit)]
    public void Parse_Packing_SetsTheMode(string value, PackingMode mode) =>
        Assert.Equal(mode, TinyGpt.ProgramOptions.Parse(["--packing", value])!.Settings.Packing);

    [Fact]
    public void Parse_EvalOnly_TakesNoValue()
    {
        TinyGpt.ProgramOptions options = TinyGpt.ProgramOptions.Parse(["--eval-only", "--steps", "5"])!;

        Assert.True(options.EvaluateOnly);
        Assert.Equal(5, options.Settings.Steps);
        Assert.False(TinyGpt.ProgramOptions.Parse([])!.EvaluateOnly);
    }

    [Fact]
    public void Parse_Warmup_SetsIt() =>
        Assert.Equal(0, TinyGpt.ProgramOptions.Parse(["--warmup", "0"])!.Settings.WarmupSteps);

    [Theory]
    [InlineData(new[] { "--packing", "tight" }, "--packing takes split, aligned or bestfit")]
    [InlineData(new[] { "--packing" }, "needs a value")]
    [InlineData(new[] { "--warmup", "-1" }, "--warmup")]
    public void Parse_BadCommandLine_ThrowsArgumentSayingWhat(string[] args, string message)
    {
        var e = Assert.Throws<TinyGpt.UsageException>(() => TinyGpt.ProgramOptions.Parse(args));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
