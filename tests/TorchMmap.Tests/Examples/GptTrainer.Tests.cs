using TinyGpt;
using TorchMmap.Tests.TestUtilities;
using TorchSharp;

namespace TorchMmap.Tests.Examples;

// The trainer seeds libtorch's global generator and sets its thread count.
[Collection(TorchGlobalStateCollection.Name)]
public sealed class GptTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-gpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A reduced run: a 2-layer model of width 32 on 60,000 characters, 250 steps of 16 windows of 32 tokens.
    private static TrainingSettings Small(int vocabularySize) => new()
    {
        Model = new GptConfig { VocabularySize = vocabularySize, BlockSize = 32, Layers = 2, Heads = 2, Embedding = 32 },
        Steps = 250,
        BatchSize = 16,
        Threads = 2,
        Seed = 5,
        LearningRate = 3e-3,
        WarmupSteps = 20,
        EvalInterval = 125,
        EvalWindows = 64,
        EvalBatchSize = 64,
    };

    [Fact]
    public void Train_GrammarText_ValidationLossFallsFarBelowUniformAndBelowBigram()
    {
        TokenCorpus corpus = TokenCorpus.Prepare(SyntheticText.Make(60_000, seed: 1), _dir, TokenizerKind.Char);
        int v = corpus.Tokenizer.VocabularySize;
        TrainingSettings settings = Small(v);
        string model = Path.Combine(_dir, "model.bin");

        TrainingReport report = Trainer.Train(settings, corpus, model);

        double uniform = Math.Log(v);
        // Before training the model guesses nearly uniformly: its loss is close to ln V.
        Assert.InRange(report.Curve[0].ValidationLoss, 0.9 * uniform, 1.1 * uniform);
        Assert.Equal([0, 125, 250], report.Curve.Select(p => p.Step));
        Assert.True(report.ValidationLossPerToken < 0.5 * uniform, $"validation loss {report.ValidationLossPerToken} against ln V = {uniform}");
        double bigram;
        using (var train = TorchMmap.Storage.TokenStream.OpenNanoGpt(corpus.TrainPath))
        using (var validation = TorchMmap.Storage.TokenStream.OpenNanoGpt(corpus.ValidationPath))
            bigram = BigramModel.Fit(train, v).Loss(validation, 0, report.ValidationTargets).NatsPerToken;
        Assert.True(report.ValidationLossPerToken < 0.9 * bigram, $"GPT {report.ValidationLossPerToken} against bigram {bigram}");
        Assert.Equal(Trainer.ValidationTargets(corpus.ValidationTokens, 32), report.ValidationTargets);
        Assert.InRange(report.DataWaitShare, 0, 1);
        Assert.True(new FileInfo(model).Length > 4 * report.Parameters, "the saved model holds every float32 parameter");
        // The grammar text has no blank line: one document, so every target is inside it.
        Assert.Equal(1, corpus.ValidationDocuments);
        Assert.Equal(report.ValidationTargets, report.DocumentTargets);
        Assert.Equal(report.ValidationNats, report.DocumentNats, 1e-3);
    }

    [Fact]
    public void Train_PackedDocuments_LossFallsAndEvaluatesEveryTargetInsideADocument()
    {
        // About 250 chapters of 60-400 characters: a sequence of 32 tokens often holds the end of one and the start of the next.
        TokenCorpus corpus = TokenCorpus.Prepare(SyntheticText.MakeDocuments(60_000, seed: 3), _dir, TokenizerKind.Char);
        int v = corpus.Tokenizer.VocabularySize;
        TrainingSettings settings = Small(v) with { Packing = TorchMmap.Data.PackingMode.Split };

        TrainingReport report = Trainer.Train(settings, corpus);

        double uniform = Math.Log(v);
        Assert.InRange(report.Curve[0].ValidationLoss, 0.9 * uniform, 1.1 * uniform);
        Assert.True(report.DocumentLossPerToken < 0.5 * uniform, $"validation loss {report.DocumentLossPerToken} against ln V = {uniform}");
        double bigram;
        using (var train = TorchMmap.Storage.TokenStream.OpenNanoGpt(corpus.TrainPath))
        using (var validation = TorchMmap.Storage.TokenStream.OpenNanoGpt(corpus.ValidationPath))
            bigram = BigramModel.Fit(train, v).Loss(validation, 0, Trainer.ValidationTargets(corpus.ValidationTokens, 32)).NatsPerToken;
        Assert.True(report.DocumentLossPerToken < 0.9 * bigram, $"GPT {report.DocumentLossPerToken} against bigram {bigram}");
        // The packed layout is scored on the targets inside documents: all but the first token of each validation document
        // after the first (whose first token is never a target); every document is longer than T, so each start is a target.
        Assert.True(corpus.ValidationDocuments > 10, $"{corpus.ValidationDocuments} validation documents");
        Assert.Equal(Trainer.ValidationTargets(corpus.ValidationTokens, 32) - (corpus.ValidationDocuments - 1), report.DocumentTargets);
        Assert.Equal((report.DocumentNats, report.DocumentTargets), (report.ValidationNats, report.ValidationTargets));
    }

    [Fact]
    public void Train_SameSeedTwice_GivesTheSameLossesAndSample()
    {
        TokenCorpus corpus = TokenCorpus.Prepare(SyntheticText.Make(20_000, seed: 2), _dir, TokenizerKind.Char);
        TrainingSettings settings = Small(corpus.Tokenizer.VocabularySize) with { Steps = 30, EvalInterval = 15 };
        string first = Path.Combine(_dir, "first.bin"), second = Path.Combine(_dir, "second.bin");

        TrainingReport a = Trainer.Train(settings, corpus, first);
        TrainingReport b = Trainer.Train(settings, corpus, second);
        TrainingReport other = Trainer.Train(settings with { Seed = 6 }, corpus);

        TrainingReport evaluated = Trainer.Train(settings, corpus, first, evaluateOnly: true);

        Assert.Equal(a.Curve.Select(p => p.ValidationLoss), b.Curve.Select(p => p.ValidationLoss));
        Assert.Equal(a.ValidationNats, b.ValidationNats);
        // Evaluating the saved weights gives the final evaluation of the run that saved them.
        Assert.Empty(evaluated.Curve);
        Assert.Equal((a.ValidationNats, a.DocumentNats), (evaluated.ValidationNats, evaluated.DocumentNats));
        Assert.NotEqual(a.ValidationNats, other.ValidationNats);
        Assert.Equal(Sample(settings.Model, first), Sample(settings.Model, second));
    }

    private static long[] Sample(GptConfig config, string weights)
    {
        using var model = new GptModel(config);
        model.load(weights);
        using var generator = new torch.Generator(7);
        return model.Generate([1, 2, 3], 20, 1.0, 0, generator);
    }
}
