using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TinyGpt;

/// <summary>
/// A small decoder-only transformer in the GPT-2 layout: token and position embeddings, pre-LayerNorm causal self-attention
/// blocks, a final LayerNorm, and an output head that shares its weights with the token embedding.
/// </summary>
public sealed class GptModel : Module<Tensor, Tensor>
{
    private readonly Embedding _tokens;
    private readonly Embedding _positions;
    private readonly Dropout _dropout;
    private readonly ModuleList<GptBlock> _blocks;
    private readonly LayerNorm _lnFinal;

    /// <summary>Creates the model with GPT-2's initialisation, drawn from TorchSharp's global generator.</summary>
    /// <param name="config">The shape.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The shape is invalid (<see cref="GptConfig.Validate"/>).</exception>
    public GptModel(GptConfig config)
        : base(nameof(GptModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        _tokens = Embedding(config.VocabularySize, config.Embedding);
        _positions = Embedding(config.BlockSize, config.Embedding);
        _dropout = Dropout(config.Dropout);
        _blocks = new ModuleList<GptBlock>(Enumerable.Range(0, config.Layers).Select(_ => new GptBlock(config)).ToArray());
        _lnFinal = LayerNorm(config.Embedding);
        RegisterComponents();
        Initialise();
    }

    /// <summary>The model's shape.</summary>
    public GptConfig Config { get; }

    /// <summary>Computes next-token logits at every position.</summary>
    /// <param name="input">Token ids, int64, shape (B, T) with T at most <see cref="GptConfig.BlockSize"/>.</param>
    /// <returns>Logits, shape (B, T, V).</returns>
    /// <exception cref="ArgumentException">The context is longer than the block size.</exception>
    public override Tensor forward(Tensor input) => forward(input, null, null);

    /// <summary>
    /// Computes next-token logits at every position of packed sequences: positions and attention come from the batch, so
    /// each document is seen as if it stood alone (<see cref="TorchMmap.Data.PackedDocumentDataset"/>'s <c>position_ids</c>
    /// and the mask <see cref="TorchMmap.Data.DocumentMasks.Causal"/> builds from its <c>cu_seqlens</c>).
    /// </summary>
    /// <param name="input">Token ids, int64, shape (B, T) with T at most <see cref="GptConfig.BlockSize"/>.</param>
    /// <param name="positionIds">Int64 (B, T), each below <see cref="GptConfig.BlockSize"/>; null for 0 to T - 1 in every row.</param>
    /// <param name="attentionMask">Bool (B, 1, T, T), true where query <c>i</c> may attend to key <c>j</c>; null for plain causal attention.</param>
    /// <returns>Logits, shape (B, T, V).</returns>
    /// <exception cref="ArgumentException">The context is longer than the block size.</exception>
    public Tensor forward(Tensor input, Tensor? positionIds, Tensor? attentionMask)
    {
        ArgumentNullException.ThrowIfNull(input);
        long t = input.shape[1];
        if (t > Config.BlockSize)
            throw new ArgumentException($"A context of {t} tokens is longer than the block size {Config.BlockSize}.", nameof(input));
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor positions = positionIds ?? torch.arange(t, dtype: ScalarType.Int64, device: input.device);
        Tensor x = _dropout.call(_tokens.call(input) + _positions.call(positions));
        foreach (GptBlock block in _blocks)
            x = block.forward(x, attentionMask);
        x = _lnFinal.call(x);
        // The head is the token embedding transposed (weight tying, as GPT-2).
        return torch.nn.functional.linear(x, _tokens.weight!).MoveToOuterDisposeScope();
    }

    /// <summary>The mean cross-entropy of the next-token predictions, in nats per token.</summary>
    /// <param name="input">Token ids (B, T).</param>
    /// <param name="targets">The next tokens (B, T); -100 (<c>cross_entropy</c>'s ignore index) where nothing is trained.</param>
    /// <param name="positionIds">See <see cref="forward(Tensor, Tensor?, Tensor?)"/>; null for 0 to T - 1.</param>
    /// <param name="attentionMask">See <see cref="forward(Tensor, Tensor?, Tensor?)"/>; null for plain causal attention.</param>
    /// <returns>A scalar tensor: the mean over the trained targets.</returns>
    public Tensor Loss(Tensor input, Tensor targets, Tensor? positionIds = null, Tensor? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor logits = forward(input, positionIds, attentionMask);
        return torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), targets.view(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by sampling one token at a time from the softmax of the last logits divided by
    /// <paramref name="temperature"/>, restricted to the <paramref name="topK"/> most likely tokens.
    /// </summary>
    /// <param name="prompt">The prompt's token ids (at least one).</param>
    /// <param name="newTokens">Tokens to add.</param>
    /// <param name="temperature">Divides the logits; below 1 sharpens the distribution.</param>
    /// <param name="topK">Tokens considered at each step; 0 for all.</param>
    /// <param name="generator">The random source, seeded by the caller, so a sample can be repeated.</param>
    /// <returns>The prompt followed by the new tokens.</returns>
    /// <exception cref="ArgumentException"><paramref name="prompt"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="newTokens"/> or <paramref name="topK"/> is negative, or <paramref name="temperature"/> is not positive.</exception>
    public long[] Generate(IReadOnlyList<long> prompt, int newTokens, double temperature, int topK, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(generator);
        if (prompt.Count == 0)
            throw new ArgumentException("The prompt needs at least one token.", nameof(prompt));
        ArgumentOutOfRangeException.ThrowIfNegative(newTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        if (!(temperature > 0))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        bool wasTraining = training;
        eval();
        var tokens = new List<long>(prompt);
        using (torch.no_grad())
        {
            for (int i = 0; i < newTokens; i++)
            {
                using DisposeScope scope = torch.NewDisposeScope();
                int context = Math.Min(tokens.Count, Config.BlockSize);
                Tensor input = torch.tensor(tokens.GetRange(tokens.Count - context, context).ToArray(), dtype: ScalarType.Int64).view(1, context);
                Tensor logits = call(input)[0, -1] / temperature;
                if (topK > 0 && topK < logits.shape[0])
                {
                    // Everything below the k-th largest logit gets probability 0.
                    Tensor kth = logits.topk(topK).values[-1];
                    logits = logits.masked_fill(logits < kth, double.NegativeInfinity);
                }
                Tensor next = torch.multinomial(torch.nn.functional.softmax(logits, 0), 1, generator: generator);
                tokens.Add(next.item<long>());
            }
        }
        train(wasTraining);
        return tokens.ToArray();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _tokens.Dispose();
            _positions.Dispose();
            _dropout.Dispose();
            foreach (GptBlock block in _blocks)
                block.Dispose();
            _blocks.Dispose();
            _lnFinal.Dispose();
        }
        base.Dispose(disposing);
    }

    // GPT-2: weights N(0, 0.02), biases 0, and the projections into the residual stream N(0, 0.02 / sqrt(2 * layers)) so
    // the stream's variance does not grow with depth.
    private void Initialise()
    {
        using var noGrad = torch.no_grad();
        foreach ((string _, Module module) in named_modules())
        {
            if (module is Linear linear)
            {
                torch.nn.init.normal_(linear.weight, 0, 0.02);
                if (linear.bias is not null)
                    torch.nn.init.zeros_(linear.bias);
            }
            else if (module is Embedding embedding)
            {
                torch.nn.init.normal_(embedding.weight, 0, 0.02);
            }
        }
        double residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        foreach (GptBlock block in _blocks)
            foreach (Linear projection in block.ResidualProjections)
                torch.nn.init.normal_(projection.weight, 0, residualStd);
    }
}
