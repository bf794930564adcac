using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TinyGpt;

/// <summary>A pre-LayerNorm transformer block: <c>x + attention(ln(x))</c>, then <c>x + mlp(ln(x))</c> with a 4C GELU MLP.</summary>
public sealed class GptBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm _ln1;
    private readonly CausalSelfAttention _attention;
    private readonly LayerNorm _ln2;
    private readonly Linear _fc;
    private readonly GELU _gelu;
    private readonly Linear _projection;
    private readonly Dropout _dropout;

    /// <summary>Creates the block.</summary>
    /// <param name="config">The model's shape.</param>
    public GptBlock(GptConfig config)
        : base(nameof(GptBlock))
    {
        ArgumentNullException.ThrowIfNull(config);
        _ln1 = LayerNorm(config.Embedding);
        _attention = new CausalSelfAttention(config);
        _ln2 = LayerNorm(config.Embedding);
        _fc = Linear(config.Embedding, 4 * config.Embedding);
        _gelu = GELU();
        _projection = Linear(4 * config.Embedding, config.Embedding);
        _dropout = Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>The two projections back into the residual stream, whose initial weights <see cref="GptModel"/> scales by depth.</summary>
    internal IEnumerable<Linear> ResidualProjections => [_attention.Projection, _projection];

    /// <summary>Applies the block.</summary>
    /// <param name="input">Shape (B, T, C).</param>
    /// <returns>Shape (B, T, C).</returns>
    public override Tensor forward(Tensor input) => forward(input, null);

    /// <summary>Applies the block with attention restricted by <paramref name="attentionMask"/>.</summary>
    /// <param name="input">Shape (B, T, C).</param>
    /// <param name="attentionMask">See <see cref="CausalSelfAttention.forward(Tensor, Tensor?)"/>; null for plain causal attention.</param>
    /// <returns>Shape (B, T, C).</returns>
    public Tensor forward(Tensor input, Tensor? attentionMask)
    {
        ArgumentNullException.ThrowIfNull(input);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor x = input + _attention.forward(_ln1.call(input), attentionMask);
        x = x + _dropout.call(_projection.call(_gelu.call(_fc.call(_ln2.call(x)))));
        return x.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ln1.Dispose();
            _attention.Dispose();
            _ln2.Dispose();
            _fc.Dispose();
            _gelu.Dispose();
            _projection.Dispose();
            _dropout.Dispose();
        }
        base.Dispose(disposing);
    }
}
