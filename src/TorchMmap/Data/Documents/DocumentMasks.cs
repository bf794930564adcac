using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>Attention masks that keep tokens within their document, from a packed batch's <c>cu_seqlens</c>.</summary>
public static class DocumentMasks
{
    /// <summary>The segment (document piece, or the padding) of each position: <c>(B, T)</c> int64, counting from 0 in each row.</summary>
    /// <param name="cuSeqlens">A batch's <c>cu_seqlens</c>, <c>(B, T + 1)</c>.</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="ArgumentException"><paramref name="cuSeqlens"/> is not 2-d.</exception>
    public static Tensor Segments(Tensor cuSeqlens)
    {
        ArgumentNullException.ThrowIfNull(cuSeqlens);
        if (cuSeqlens.dim() != 2)
            throw new ArgumentException(Messages.Format(Messages.CuSeqlensShape, string.Join(", ", cuSeqlens.shape)), nameof(cuSeqlens));
        long t = cuSeqlens.shape[1] - 1;
        using DisposeScope scope = torch.NewDisposeScope();
        // Position j is in segment k when k boundaries (after the leading 0) lie at or before it.
        Tensor positions = torch.arange(t, dtype: cuSeqlens.dtype, device: cuSeqlens.device).view(1, t, 1);
        Tensor ends = cuSeqlens.narrow(1, 1, t).unsqueeze(1);
        return (ends <= positions).sum(-1, type: ScalarType.Int64).MoveToOuterDisposeScope();
    }

    /// <summary>A causal mask within documents: <c>(B, 1, T, T)</c> bool, true where query <c>i</c> may attend to key <c>j</c>
    /// (<c>j &lt;= i</c>, same document piece), as <c>scaled_dot_product_attention</c>'s <c>attn_mask</c> takes it.</summary>
    /// <param name="cuSeqlens">A batch's <c>cu_seqlens</c>, <c>(B, T + 1)</c>.</param>
    /// <returns>A new tensor; the caller owns it.</returns>
    /// <exception cref="ArgumentException"><paramref name="cuSeqlens"/> is not 2-d.</exception>
    public static Tensor Causal(Tensor cuSeqlens)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor segments = Segments(cuSeqlens);
        long t = segments.shape[1];
        Tensor same = segments.unsqueeze(2).eq(segments.unsqueeze(1));
        Tensor causal = torch.ones(t, t, dtype: ScalarType.Bool, device: segments.device).tril();
        return same.logical_and(causal).unsqueeze(1).MoveToOuterDisposeScope();
    }
}
