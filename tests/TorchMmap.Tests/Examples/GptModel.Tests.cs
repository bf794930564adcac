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
    public void Forward_PackedWithDocumentMask_LaterDocumentSeesNothingOfTheEarlierOne()
    {
        string dir = Directory.CreateTempSubdirectory("torchmmap-gpt-mask-").FullName;
        try
        {
            // Two packed sequences of T = 8 from documents written as a Megatron indexed dataset: A (3 tokens) then B (6 tokens),
            // differing only in A's tokens.
            long[] b = [7, 1, 4, 4, 2, 9];
            Dictionary<string, Tensor> first = PackedSequence(Path.Combine(dir, "first"), [3, 5, 8], b);
            Dictionary<string, Tensor> second = PackedSequence(Path.Combine(dir, "second"), [10, 0, 6], b);
            torch.manual_seed(1);
            using var model = new GptModel(s_config);
            model.eval();
            using var scope = torch.NewDisposeScope();
            Tensor mask1 = TorchMmap.Data.DocumentMasks.Causal(first["cu_seqlens"]), mask2 = TorchMmap.Data.DocumentMasks.Causal(second["cu_seqlens"]);

            Tensor l1 = model.forward(first["x"], first["position_ids"], mask1);
            Tensor l2 = model.forward(second["x"], second["position_ids"], mask2);
            Tensor alone = model.call(torch.tensor(b[..5]).view(1, 5));

            Assert.Equal(new long[] { 0, 1, 2, 0, 1, 2, 3, 4 }, first["position_ids"].data<long>().ToArray());
            // B's logits do not change with A's tokens, and are those of B read on its own.
            Assert.True(l1[.., 3..].allclose(l2[.., 3..], rtol: 0, atol: 1e-6));
            Assert.True(l1[.., 3..].allclose(alone, rtol: 0, atol: 1e-5));
            Assert.False(l1[.., ..3].allclose(l2[.., ..3], rtol: 0, atol: 1e-3));
            // Without the mask and the restarted positions, B would see A: the same test would fail.
            Assert.False(model.call(first["x"])[.., 3..].allclose(model.call(second["x"])[.., 3..], rtol: 0, atol: 1e-3));
            // And A's last input is not trained to predict B's first token.
            Assert.Equal(-100, first["y"][0, 2].item<long>());
            foreach (Tensor t in first.Values.Concat(second.Values))
                t.Dispose();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, Tensor> PackedSequence(string prefix, long[] a, long[] b)
    {
        using (var writer = TorchMmap.Format.IndexedDatasetWriter.Create(prefix, TorchMmap.Format.NpyDType.UInt16, TorchMmap.Format.IndexedDatasetConvention.Megatron))
        {
            writer.AddDocument(a);
            writer.AddDocument(b);
            writer.Complete();
        }
        using var data = TorchMmap.Storage.IndexedDataset.Open(prefix, TorchMmap.Format.IndexedDatasetConvention.Megatron);
        using var packed = new TorchMmap.Data.PackedDocumentDataset(data.Sequences, blockSize: 8, TorchMmap.Data.PackingMode.Split);
        return packed.GetBatch([0]);
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
