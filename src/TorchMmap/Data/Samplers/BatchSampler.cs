using System.Collections;

namespace TorchMmap.Data;

/// <summary>
/// Groups a sampler's indices into batches of row indices, like PyTorch's <c>torch.utils.data.BatchSampler</c>.
/// </summary>
/// <remarks>
/// Batches follow the sampler's order. Every batch has <see cref="BatchSize"/> indices except, without
/// <see cref="DropLast"/>, the last one, which holds the remainder; with <see cref="DropLast"/> the remainder is
/// dropped. Each batch is a new array. Call <see cref="Sampler.SetEpoch(long)"/> on <see cref="Sampler"/> to
/// change epochs.
/// </remarks>
public sealed class BatchSampler : IEnumerable<long[]>
{
    /// <summary>Initializes a batch sampler over <paramref name="sampler"/>.</summary>
    /// <param name="sampler">The sampler whose indices are grouped.</param>
    /// <param name="batch_size">The number of indices in a full batch.</param>
    /// <param name="drop_last"><see langword="true"/> to drop a final batch smaller than <paramref name="batch_size"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="sampler"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch_size"/> is less than 1.</exception>
    public BatchSampler(Sampler sampler, int batch_size, bool drop_last)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch_size);
        Sampler = sampler;
        BatchSize = batch_size;
        DropLast = drop_last;
    }

    /// <summary>Gets the sampler whose indices are grouped.</summary>
    public Sampler Sampler { get; }

    /// <summary>Gets the number of indices in a full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Gets a value indicating whether a final batch smaller than <see cref="BatchSize"/> is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>
    /// Gets the number of batches per epoch: the sampler's <see cref="Sampler.Count"/> divided by
    /// <see cref="BatchSize"/>, rounded down with <see cref="DropLast"/> and up without.
    /// </summary>
    public long Count
    {
        get
        {
            long samples = Sampler.Count;
            long full = samples / BatchSize;
            return DropLast || samples % BatchSize == 0 ? full : full + 1;
        }
    }

    /// <summary>Returns an enumerator over the current epoch's batches.</summary>
    /// <returns>An enumerator that yields a new array per batch.</returns>
    public IEnumerator<long[]> GetEnumerator()
    {
        var batch = new long[BatchSize];
        int filled = 0;
        foreach (long index in Sampler)
        {
            batch[filled++] = index;
            if (filled == batch.Length)
            {
                yield return batch;
                batch = new long[BatchSize];
                filled = 0;
            }
        }

        if (filled > 0 && !DropLast)
        {
            yield return batch[..filled];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
