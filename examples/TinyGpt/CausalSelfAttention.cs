using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TinyGpt;

/// <summary>
/// Multi-head self-attention in which each position attends only to itself and earlier positions, or, given a mask, only
/// where the mask allows (packed documents: earlier positions of the same document).
/// </summary>
public sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
    private readonly Linear _qkv;
    private readonly Linear _projection;
    private readonly Dropout _residualDropout;
    private readonly int _heads;
    private readonly double _dropout;

    /// <summary>Creates the layer.</summary>
    /// <param name="config">The model's shape.</param>
    public CausalSelfAttention(GptConfig config)
        : base(nameof(CausalSelfAttention))
    {
        ArgumentNullException.ThrowIfNull(config);
        _heads = config.Heads;
        _dropout = config.Dropout;
        _qkv = Linear(config.Embedding, 3 * config.Embedding);
        _projection = Linear(config.Embedding, config.Embedding);
        _residualDropout = Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>The output projection, whose initial weights <see cref="GptModel"/> scales by depth.</summary>
    internal Linear Projection => _projection;

    /// <summary>Attends over the sequence.</summary>
    /// <param name="input">Shape (B, T, C).</param>
    /// <returns>Shape (B, T, C).</returns>
    public override Tensor forward(Tensor input) => forward(input, null);

    /// <summary>Attends over the sequence where <paramref name="attentionMask"/> allows.</summary>
    /// <param name="input">Shape (B, T, C).</param>
    /// <param name="attentionMask">Bool, broadcastable to (B, heads, T, T): true where query <c>i</c> may attend to key <c>j</c>
    /// (<see cref="TorchMmap.Data.DocumentMasks.Causal"/> makes one); null for plain causal attention.</param>
    /// <returns>Shape (B, T, C).</returns>
    public Tensor forward(Tensor input, Tensor? attentionMask)
    {
        ArgumentNullException.ThrowIfNull(input);
        long b = input.shape[0], t = input.shape[1], c = input.shape[2];
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor[] qkv = _qkv.call(input).split(c, dim: 2);
        // (B, T, C) -> (B, heads, T, C / heads)
        Tensor q = qkv[0].view(b, t, _heads, c / _heads).transpose(1, 2);
        Tensor k = qkv[1].view(b, t, _heads, c / _heads).transpose(1, 2);
        Tensor v = qkv[2].view(b, t, _heads, c / _heads).transpose(1, 2);
        double p = training ? _dropout : 0;
        // A mask replaces the causal flag: PyTorch refuses both at once, and a document mask is causal already.
        Tensor y = attentionMask is null
            ? torch.nn.functional.scaled_dot_product_attention(q, k, v, p: p, is_casual: true)
            : torch.nn.functional.scaled_dot_product_attention(q, k, v, attentionMask, p: p);
        y = y.transpose(1, 2).contiguous().view(b, t, c);
        return _residualDropout.call(_projection.call(y)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _qkv.Dispose();
            _projection.Dispose();
            _residualDropout.Dispose();
        }
        base.Dispose(disposing);
    }
}
