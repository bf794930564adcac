namespace TorchMmap.Data;

/// <summary>
/// Yields <c>0, 1, ..., length - 1</c> in order every epoch, like PyTorch's
/// <c>torch.utils.data.SequentialSampler</c>.
/// </summary>
/// <remarks>The order does not depend on <see cref="Sampler.Epoch"/>, and enumeration allocates no index array.</remarks>
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
    public override IEnumerator<long> GetEnumerator()
    {
        for (long i = 0; i < Length; i++)
        {
            yield return i;
        }
    }

    /// <inheritdoc/>
    public override long[] GetIndices()
    {
        ThrowIfTooLargeForArray(Length);
        var indices = new long[Length];
        for (long i = 0; i < indices.Length; i++)
        {
            indices[i] = i;
        }

        return indices;
    }
}
