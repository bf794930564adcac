using TinyGpt;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Examples;

public sealed class BigramModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-bigram-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params int[] tokens)
    {
        string path = Path.Combine(_dir, name);
        using TokenWriter writer = TokenWriter.CreateNanoGpt(path);
        writer.Write(tokens);
        writer.Complete();
        return path;
    }

    [Fact]
    public void Fit_AlternatingTokens_LossFollowsAddKCounts()
    {
        // 0 1 0 1 ... (40 tokens): 39 pairs, 20 of (0, 1) and 19 of (1, 0).
        using TokenStream train = TokenStream.OpenNanoGpt(Write("train.bin", Enumerable.Range(0, 40).Select(i => i % 2).ToArray()));
        using TokenStream validation = TokenStream.OpenNanoGpt(Write("val.bin", 0, 1, 2));

        BigramModel model = BigramModel.Fit(train, vocabularySize: 3);
        (double nats, double perToken) = model.Loss(validation, 0, 2);

        // The held-out tail of the training tokens holds only pairs seen before, so the least smoothing of the grid scores best.
        Assert.Equal(1e-4, model.Smoothing);
        Assert.Equal(2, model.DistinctPairs);
        double k = model.Smoothing;
        double expected = -Math.Log((20 + k) / (20 + 3 * k)) - Math.Log(k / (19 + 3 * k));
        Assert.Equal(expected, nats, 9);
        Assert.Equal(expected / 2, perToken, 9);
    }

    [Fact]
    public void Loss_TokenOutsideVocabulary_Throws()
    {
        using TokenStream train = TokenStream.OpenNanoGpt(Write("train.bin", Enumerable.Range(0, 40).Select(i => i % 2).ToArray()));
        using TokenStream validation = TokenStream.OpenNanoGpt(Write("val.bin", 0, 7));
        BigramModel model = BigramModel.Fit(train, vocabularySize: 3);

        Assert.Throws<ArgumentException>(() => model.Loss(validation, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Loss(validation, 0, 2));
    }
}
