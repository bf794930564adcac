using System.Collections;
using TorchMmap.Internal;

namespace TorchMmap.Data;

/// <summary>
/// Produces the order in which a map-style dataset's rows are visited during one epoch, like PyTorch's
/// <c>torch.utils.data.Sampler</c>.
/// </summary>
/// <remarks>
/// <para>
/// A sampler yields row indices, not rows. <see cref="Count"/> is the number of indices one epoch yields to this
/// replica; <see cref="SetEpoch(long)"/> selects the epoch, which shuffling samplers mix into their seed so that
/// every epoch gets a new order.
/// </para>
/// <para>
/// <b>Global order and positions.</b> A sampler whose <see cref="CanIndex"/> is <see langword="true"/> defines each
/// epoch's global order over the <see cref="DatasetLength"/> rows and returns the row at any position of it through
/// <see cref="CopyOrder"/>, without building the order as an array. Replicas share that order as PyTorch's
/// <c>DistributedSampler</c> shares it: replica <see cref="Rank"/> of <see cref="NumReplicas"/> reads positions
/// <see cref="Rank"/>, <see cref="Rank"/> + <see cref="NumReplicas"/>, ..., padded by repeating the order from its
/// start (or cut, with <see cref="DropLast"/>). <see cref="NpyDataLoader"/> reads such a sampler a batch at a time and
/// records its place as a global position, which is what lets a run resume with another number of replicas.
/// </para>
/// <para>
/// When <see cref="IsDeterministic"/> is <see langword="true"/>, the order depends only on the sampler's settings
/// and the epoch: enumerating twice in the same epoch gives the same indices.
/// </para>
/// <para>
/// <see cref="SetEpoch(long)"/> is not thread-safe; an enumeration that has already started keeps the epoch that was
/// current when <see cref="GetEnumerator"/> was called. <see cref="CopyOrder"/> of the built-in samplers may be called
/// from several threads at once.
/// </para>
/// </remarks>
public abstract class Sampler : IEnumerable<long>
{
    /// <summary>Gets the number of indices the sampler yields to this replica per epoch.</summary>
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

    /// <summary>Gets the number of rows of the dataset the sampler orders, or <see langword="null"/> when it does not know.</summary>
    /// <value>The <c>length</c> the built-in samplers were made with; <see langword="null"/> for <see cref="EnumerableSampler"/>.</value>
    public virtual long? DatasetLength => null;

    /// <summary>Gets the number of replicas (processes) the epoch is shared among; 1 unless the sampler is distributed.</summary>
    public virtual int NumReplicas => 1;

    /// <summary>Gets this replica's rank, in [0, <see cref="NumReplicas"/>); 0 unless the sampler is distributed.</summary>
    public virtual int Rank => 0;

    /// <summary>
    /// Gets a value indicating whether the global order is cut to a multiple of <see cref="NumReplicas"/> rather than
    /// padded to one.
    /// </summary>
    public virtual bool DropLast => false;

    /// <summary>
    /// Gets a value indicating whether <see cref="CopyOrder"/> returns the row at any position of an epoch's global order
    /// (and <see cref="DatasetLength"/> is known).
    /// </summary>
    public virtual bool CanIndex => false;

    /// <summary>
    /// Gets the kind of order and the settings that select it, such as <c>FeistelSampler(length=100, seed=3,
    /// drop_last=False)</c>: everything that decides the global order, and nothing that may change when a run resumes
    /// (the number of replicas and the rank). A loader's <c>state_dict</c> records it, and <c>load_state_dict</c>
    /// refuses a state whose order differs.
    /// </summary>
    public virtual string OrderDescription => GetType().Name;

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

    /// <summary>
    /// Copies the rows at the global positions <c>start</c>, <c>start + stride</c>, <c>start + 2 * stride</c>, ... of
    /// epoch <paramref name="epoch"/>'s order into <paramref name="destination"/>.
    /// </summary>
    /// <param name="epoch">The epoch whose order is read; it need not be <see cref="Epoch"/>.</param>
    /// <param name="start">The first global position. Positions at or past <see cref="DatasetLength"/> are padding:
    /// position <c>p</c> holds the row at position <c>p % DatasetLength</c>, as PyTorch pads.</param>
    /// <param name="stride">The distance between consecutive positions; <see cref="NumReplicas"/> reads one replica's share.</param>
    /// <param name="destination">Receives one row per position.</param>
    /// <exception cref="NotSupportedException"><see cref="CanIndex"/> is <see langword="false"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> or <paramref name="start"/> is negative, or <paramref name="stride"/> is less than 1.</exception>
    /// <exception cref="InvalidOperationException">Positions are asked of an empty dataset.</exception>
    /// <remarks>The cost is that of computing the rows asked for; no array of the epoch's order is built unless the
    /// order itself is defined by one (PyTorch's <c>randperm</c>, which <see cref="RandomSampler"/> and a shuffling
    /// <see cref="DistributedSampler"/> compute once per epoch). Safe to call from several threads.</remarks>
    public void CopyOrder(long epoch, long start, long stride, Span<long> destination)
    {
        if (!CanIndex || DatasetLength is not long length)
        {
            throw new NotSupportedException(Messages.Format(Messages.SamplerNoPositions, GetType().Name));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        if (destination.IsEmpty)
        {
            return;
        }

        if (length == 0)
        {
            throw new InvalidOperationException(Messages.SamplerEmptyNoPositions);
        }

        // Split the request into runs that stay below the length, so the order itself never sees padding positions.
        long position = start % length;
        int done = 0;
        while (done < destination.Length)
        {
            long fit = ((length - 1 - position) / stride) + 1;
            int run = (int)Math.Min(fit, destination.Length - done);
            CopyOrderCore(epoch, position, stride, destination.Slice(done, run));
            done += run;
            position = (position + (run * stride)) % length;
        }
    }

    /// <summary>Returns an enumerator over the current epoch's indices.</summary>
    /// <returns>An enumerator that yields <see cref="Count"/> indices.</returns>
    public abstract IEnumerator<long> GetEnumerator();

    /// <summary>Returns this replica's share of the current epoch as a new array.</summary>
    /// <returns>A new array of <see cref="Count"/> indices that the caller may modify.</returns>
    /// <exception cref="InvalidOperationException"><see cref="Count"/> is larger than <see cref="Array.MaxLength"/>.</exception>
    /// <remarks>A sampler that <see cref="CanIndex"/> computes the share with <see cref="CopyOrder"/>; the base
    /// implementation otherwise enumerates the sampler once.</remarks>
    public virtual long[] GetIndices()
    {
        long count = Count;
        ThrowIfTooLargeForArray(count);
        if (CanIndex)
        {
            var share = new long[count];
            CopyOrder(Epoch, Rank, NumReplicas, share);
            return share;
        }

        var indices = new List<long>((int)count);
        using IEnumerator<long> e = GetEnumerator();
        while (e.MoveNext())
        {
            indices.Add(e.Current);
        }

        return indices.ToArray();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Copies the rows at positions <c>start + j * stride</c>, all below <see cref="DatasetLength"/>, of epoch
    /// <paramref name="epoch"/>'s global order: what <see cref="CopyOrder"/> calls once it has taken padding apart.
    /// </summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="start">The first position, below <see cref="DatasetLength"/>.</param>
    /// <param name="stride">The distance between positions; the last position is below <see cref="DatasetLength"/>.</param>
    /// <param name="destination">Receives one row per position.</param>
    /// <exception cref="NotSupportedException">The sampler does not override this method.</exception>
    protected virtual void CopyOrderCore(long epoch, long start, long stride, Span<long> destination) =>
        throw new NotSupportedException(Messages.Format(Messages.SamplerNoPositions, GetType().Name));

    /// <summary>
    /// Enumerates this replica's share of the current epoch through <see cref="CopyOrder"/>, a few thousand rows at a
    /// time: what the built-in samplers' <see cref="GetEnumerator"/> returns.
    /// </summary>
    /// <returns>An enumerator of <see cref="Count"/> indices.</returns>
    private protected IEnumerator<long> EnumerateShare()
    {
        long epoch = Epoch, count = Count;
        var chunk = new long[(int)Math.Min(count, 4096)];
        for (long done = 0; done < count; done += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, count - done);
            CopyOrder(epoch, Rank + (done * NumReplicas), NumReplicas, chunk.AsSpan(0, n));
            for (int j = 0; j < n; j++)
            {
                yield return chunk[j];
            }
        }
    }

    // Throws if an epoch's order can't be held in one .NET array.
    private protected static void ThrowIfTooLargeForArray(long count)
    {
        if (count > Array.MaxLength)
        {
            throw new InvalidOperationException(
                Messages.Format(Messages.SamplerTooManyIndices, count, Array.MaxLength, nameof(GetIndices)));
        }
    }
}
