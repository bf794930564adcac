namespace TorchMmap.Data;

/// <summary>
/// Yields <c>0, 1, ..., length - 1</c> in order every epoch, like PyTorch's
/// <c>torch.utils.data.SequentialSampler</c>.
/// </summary>
/// <remarks>The order does not depend on <see cref="Sampler.Epoch"/>, and no index array is built.</remarks>
public sealed class SequentialSampler : Sampler
{
    /// <summary>Initializes a sampler over the rows <c>0</c> to <paramref name="length"/> - 1.</summary>
    /// <param name="length">The number of rows in the dataset.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public SequentialSampler(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
    }

    /// <summary>Gets the number of rows in the dataset.</summary>
    public long Length { get; }

    /// <inheritdoc/>
    public override long Count => Length;

    /// <inheritdoc/>
    public override long? DatasetLength => Length;

    /// <inheritdoc/>
    public override bool CanIndex => true;

    /// <inheritdoc/>
    public override string OrderDescription => FormattableString.Invariant($"SequentialSampler(length={Length})");

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator()
    {
        for (long i = 0; i < Length; i++)
        {
            yield return i;
        }
    }

    /// <inheritdoc/>
    protected override void CopyOrderCore(long epoch, long start, long stride, Span<long> destination)
    {
        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = start + (j * stride);
        }
    }
}
