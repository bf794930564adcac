namespace TorchMmap.Idx;

/// <summary>How <see cref="IdxConverter"/> shapes and types the .npy file it writes.</summary>
public sealed record IdxConversionOptions
{
    /// <summary>
    /// True to insert a channel dimension of 1 after the first, so images of shape (N, H, W) are written (N, 1, H, W),
    /// the layout convolution layers take. Applies to files of three or more dimensions.
    /// </summary>
    public bool InsertChannelAxis { get; init; }

    /// <summary>
    /// True to widen integer elements to int64, the type TorchSharp's <c>cross_entropy</c> wants for class labels.
    /// Applies to one-dimensional integer files (label files).
    /// </summary>
    public bool WidenLabelsToInt64 { get; init; }

    /// <summary>Bytes of IDX data read per chunk; memory use is bounded by a few times this.</summary>
    public int ChunkBytes { get; init; } = 1 << 20;
}
