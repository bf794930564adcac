namespace TorchMmap.Data;

/// <summary>Wraps any sequence of row indices, such as a custom shuffle, as a <see cref="Sampler"/>.</summary>
/// <remarks>
/// <para>
/// Enumeration forwards to the wrapped sequence every time, so the order is whatever the sequence yields;
/// <see cref="IsDeterministic"/> is therefore <see langword="false"/>, and <see cref="Sampler.SetEpoch(long)"/>
/// only records the epoch. The indices are not validated here: the consumer checks them against its dataset.
/// </para>
/// <para>
/// <see cref="Count"/> is, in order of preference: the count passed to the constructor; the live
/// <see cref="ICollection{T}.Count"/> or <see cref="IReadOnlyCollection{T}.Count"/> of the sequence; or else
/// the number of indices one enumeration yields, counted the first time <see cref="Count"/> is read and cached
/// from then on. Pass the count when enumerating is expensive or has side effects.
/// </para>
/// </remarks>
public sealed class EnumerableSampler : Sampler
{
    private readonly IEnumerable<long> _indices;
    private long? _count;

    /// <summary>Initializes a sampler that yields the indices of <paramref name="indices"/>.</summary>
    /// <param name="indices">The sequence to wrap; it is enumerated once per epoch.</param>
    /// <param name="count">
    /// The number of indices the sequence yields per epoch, or <see langword="null"/> to take it from the
    /// sequence (see remarks).
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="indices"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public EnumerableSampler(IEnumerable<long> indices, long? count = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (count is long value)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(count));
        }

        _indices = indices;
        _count = count;
    }

    /// <inheritdoc/>
    public override long Count => _indices switch
    {
        _ when _count is long known => known,
        ICollection<long> collection => collection.Count,
        IReadOnlyCollection<long> collection => collection.Count,
        _ => (_count = CountByEnumerating()).Value,
    };

    /// <inheritdoc/>
    /// <value>Always <see langword="false"/>: the wrapped sequence may yield a different order each time.</value>
    public override bool IsDeterministic => false;

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => _indices.GetEnumerator();

    /// <inheritdoc/>
    /// <remarks>Enumerates the wrapped sequence once, without reading <see cref="Count"/>.</remarks>
    public override long[] GetIndices() => _indices.ToArray();

    private long CountByEnumerating()
    {
        long count = 0;
        using IEnumerator<long> e = _indices.GetEnumerator();
        while (e.MoveNext())
        {
            count++;
        }

        return count;
    }
}
