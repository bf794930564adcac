using TinyGpt;
using TorchMmap.Tests.TestUtilities;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Examples;

// Model construction draws from libtorch's global generator.
[Collection(TorchGlobalStateCollection.Name)]
public sealed class GptModelTests
{
    private static readonly GptConfig s_config = new() { VocabularySize = 11, BlockSize = 8, Layers = 2, Heads = 2, Embedding = 16 };

    [Fact]
    public void Forward_ChangedLaterToken_LeavesEarlierLogitsUnchanged()
    {
        torch.manual_seed(1);
        using var model = new GptModel(s_config);
        model.eval();
        using var scope = torch.NewDisposeScope();
        Tensor a = torch.tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }).view(1, 8);
        Tensor b = torch.tensor(new long[] { 1, 2, 3, 4, 9, 9, 9, 9 }).view(1, 8);

        Tensor la = model.call(a), lb = model.call(b);

        Assert.Equal(new long[] { 1, 8, 11 }, la.shape);
        // Causal attention: positions 0-3 see only tokens 0-3, which are equal.
        Assert.True(la[.., ..4].allclose(lb[.., ..4], rtol: 0, atol: 1e-6));
        Assert.False(la[.., 4..].allclose(lb[.., 4..], rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void Parameters_HeadTiedToTokenEmbedding_CountsMatchTheLayout()
    {
        torch.manual_seed(1);
        using var model = new GptModel(s_config);
        long c = 16, v = 11, t = 8;
        // Per block: two LayerNorms (2C each), qkv (3C^2 + 3C), projection (C^2 + C), MLP (4C^2 + 4C and 4C^2 + C).
        long block = 2 * 2 * c + (3 * c * c + 3 * c) + (c * c + c) + (4 * c * c + 4 * c) + (4 * c * c + c);
        long expected = v * c + t * c + 2 * block + 2 * c;

        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Forward_ContextLongerThanBlock_Throws()
    {
        torch.manual_seed(1);
        using var model = new GptModel(s_config);
        using var input = torch.zeros(1, 9, dtype: ScalarType.Int64);

        Assert.Throws<ArgumentException>(() => model.call(input));
    }

    [Fact]
    public void Generate_SameSeed_SameTokensWithinVocabulary()
    {
        torch.manual_seed(1);
        using var model = new GptModel(s_config);
        using var g1 = new torch.Generator(3);
        using var g2 = new torch.Generator(3);

        long[] first = model.Generate([1, 2], 20, 1.0, 5, g1);
        long[] second = model.Generate([1, 2], 20, 1.0, 5, g2);

        Assert.Equal(22, first.Length);
        Assert.Equal(first, second);
        Assert.Equal([1L, 2L], first[..2]);
        Assert.All(first, token => Assert.InRange(token, 0, 10));
    }
}
