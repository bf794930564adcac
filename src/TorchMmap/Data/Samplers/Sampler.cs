using System.Collections;

namespace TorchMmap.Data;

/// <summary>
/// Produces the order in which a map-style dataset's rows are visited during one epoch, like PyTorch's
/// <c>torch.utils.data.Sampler</c>.
/// </summary>
/// <remarks>
/// <para>
/// A sampler yields row indices, not rows. <see cref="Count"/> is the number of indices one epoch yields;
/// <see cref="SetEpoch(long)"/> selects the epoch, which shuffling samplers mix into their seed so that
/// every epoch gets a new order.
/// </para>
/// <para>
/// When <see cref="IsDeterministic"/> is <see langword="true"/>, the order depends only on the sampler's
/// settings and <see cref="Epoch"/>: enumerating twice in the same epoch gives the same indices, which
/// lets a loader call <see cref="GetIndices"/> and resume or prefetch anywhere in the epoch.
/// </para>
/// <para>
/// Samplers are not thread-safe for <see cref="SetEpoch(long)"/>; an enumeration that has already started
/// keeps the epoch that was current when <see cref="GetEnumerator"/> was called.
/// </para>
/// </remarks>
public abstract class Sampler : IEnumerable<long>
{
    /// <summary>Gets the number of indices the sampler yields per epoch.</summary>
    public abstract long Count { get; }

    /// <summary>Gets the epoch set by the last call to <see cref="SetEpoch(long)"/>; 0 initially.</summary>
    public long Epoch { get; private set; }

    /// <summary>
    /// Gets a value indicating whether the same <see cref="Epoch"/> always produces the same order.
    /// </summary>
    /// <value>
    /// <see langword="true"/> for the built-in samplers; <see langword="false"/> for <see cref="EnumerableSampler"/>,
    /// whose order is whatever the wrapped sequence yields.
    /// </value>
    public virtual bool IsDeterministic => true;

    /// <summary>Sets the epoch that the next enumeration uses.</summary>
    /// <param name="epoch">The zero-based epoch number.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    /// <remarks>
    /// Call this at the start of every epoch, before enumerating, as with PyTorch's
    /// <c>DistributedSampler.set_epoch</c>; without it, shuffling samplers repeat the epoch-0 order.
    /// </remarks>
    public virtual void SetEpoch(long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        Epoch = epoch;
    }

    /// <summary>Returns an enumerator over the current epoch's indices.</summary>
    /// <returns>An enumerator that yields <see cref="Count"/> indices.</returns>
    public abstract IEnumerator<long> GetEnumerator();

    /// <summary>Returns the current epoch's whole order as a new array.</summary>
    /// <returns>A new array of <see cref="Count"/> indices that the caller may modify.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Count"/> is larger than <see cref="Array.MaxLength"/>.</exception>
    /// <remarks>The base implementation enumerates the sampler once.</remarks>
    public virtual long[] GetIndices()
    {
        long count = Count;
        ThrowIfTooLargeForArray(count);

        var indices = new List<long>((int)count);
        using IEnumerator<long> e = GetEnumerator();
        while (e.MoveNext())
        {
            indices.Add(e.Current);
        }

        return indices.ToArray();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Throws if an epoch's order can't be held in one .NET array.
    private protected static void ThrowIfTooLargeForArray(long count)
    {
        if (count > Array.MaxLength)
        {
            throw new InvalidOperationException(
                $"The sampler yields {count} indices per epoch, more than the {Array.MaxLength} a .NET array can hold; enumerate it instead of calling {nameof(GetIndices)}.");
        }
    }
}
