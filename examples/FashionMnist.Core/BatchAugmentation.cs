using TorchSharp;
using static TorchSharp.torch;

namespace FashionMnist;

/// <summary>
/// Augments a whole batch tensor at once: a random horizontal flip and a random crop after padding, each sample
/// independently, drawn from its own seeded generator so a run is reproducible.
/// </summary>
public sealed class BatchAugmentation : IDisposable
{
    private readonly Generator _generator;

    /// <summary>Creates the augmentation.</summary>
    /// <param name="seed">Seeds the random draws.</param>
    /// <param name="flip">True to flip each image left-right with probability 1/2.</param>
    /// <param name="cropPadding">Pixels of padding on each side before a random crop back to the original size; 0 for none.</param>
    /// <param name="padValue">The value padding takes (the normalised value of a black pixel).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cropPadding"/> is negative.</exception>
    public BatchAugmentation(long seed, bool flip, int cropPadding, double padValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cropPadding);
        _generator = new Generator(unchecked((ulong)seed), CPU);
        Flip = flip;
        CropPadding = cropPadding;
        PadValue = padValue;
    }

    /// <summary>Whether images are flipped left-right at random.</summary>
    public bool Flip { get; }

    /// <summary>Padding before the random crop (0: no crop).</summary>
    public int CropPadding { get; }

    /// <summary>The value of padded pixels.</summary>
    public double PadValue { get; }

    /// <summary>Returns an augmented copy of <paramref name="images"/>.</summary>
    /// <param name="images">A float batch of shape (N, C, H, W); not modified.</param>
    /// <returns>A new tensor of the same shape (in the caller's dispose scope).</returns>
    /// <exception cref="ArgumentException"><paramref name="images"/> is not four-dimensional.</exception>
    public Tensor Apply(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
            throw new ArgumentException($"Expected a batch of shape (N, C, H, W); got {images.dim()} dimensions.", nameof(images));
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor x = images;
        if (Flip)
        {
            Tensor mask = (torch.rand(n, generator: _generator) < 0.5).view(n, 1, 1, 1);
            x = torch.where(mask, x.flip(3), x);
        }
        if (CropPadding > 0)
        {
            int p = CropPadding;
            Tensor padded = torch.nn.functional.pad(x, [p, p, p, p], value: PadValue);
            // Each sample gets its own offset; two gathers pick its rows, then its columns, with no per-sample loop.
            Tensor dy = torch.randint(0, 2 * p + 1, [n], dtype: ScalarType.Int64, generator: _generator);
            Tensor dx = torch.randint(0, 2 * p + 1, [n], dtype: ScalarType.Int64, generator: _generator);
            Tensor rows = (dy.view(n, 1) + torch.arange(h)).view(n, 1, h, 1).expand(n, c, h, w + 2 * p);
            Tensor cropRows = padded.gather(2, rows);
            Tensor cols = (dx.view(n, 1) + torch.arange(w)).view(n, 1, 1, w).expand(n, c, h, w);
            x = cropRows.gather(3, cols);
        }
        return ReferenceEquals(x, images) ? images.clone().MoveToOuterDisposeScope() : x.MoveToOuterDisposeScope();
    }

    /// <summary>Frees the generator.</summary>
    public void Dispose() => _generator.Dispose();
}
