using TorchMmap.Internal;

namespace TorchMmap.Data;

/// <summary>
/// One replica's rows for an epoch from a global position on, batch by batch: computed from the sampler a batch at a
/// time when it <see cref="Sampler.CanIndex"/>, or else cut from the share it enumerates.
/// </summary>
/// <remarks>Immutable once made, so worker threads copy batches from it concurrently.</remarks>
internal sealed class EpochIndices
{
    private readonly Sampler _sampler;
    private readonly long _epoch;
    private readonly long[]? _share;   // only for samplers that cannot index
    private readonly long _skipped;    // entries of _share before Start
    private readonly int _batchSize;

    /// <exception cref="InvalidOperationException">A sampler that cannot index yields another number of indices than its Count.</exception>
    public EpochIndices(Sampler sampler, long epoch, long start, int batchSize, bool dropLast)
    {
        _sampler = sampler;
        _epoch = epoch;
        _batchSize = batchSize;
        Start = start;
        if (sampler.CanIndex)
        {
            ShareCount = ReplicaPartition.Share(sampler.DatasetLength!.Value, sampler.NumReplicas, sampler.DropLast, start);
        }
        else
        {
            _share = sampler.GetIndices();
            // Batches are cut from the share by Count; a user sequence that disagrees with its declared count would fail mid-epoch.
            if (_share.LongLength != sampler.Count)
                throw new InvalidOperationException(Messages.Format(Messages.SamplerCountMismatch, _share.LongLength, epoch, sampler.Count));
            _skipped = Math.Min(_share.LongLength, start / sampler.NumReplicas);
            ShareCount = _share.LongLength - _skipped;
        }
        Batches = dropLast ? ShareCount / batchSize : (ShareCount + batchSize - 1) / batchSize;
    }

    /// <summary>The global position this enumeration starts at.</summary>
    public long Start { get; }

    /// <summary>The rows this replica reads from <see cref="Start"/> to the end of the epoch.</summary>
    public long ShareCount { get; }

    /// <summary>The batches from <see cref="Start"/> to the end of the epoch.</summary>
    public long Batches { get; }

    /// <summary>The number of rows in batch <paramref name="batch"/>.</summary>
    public int BatchLength(long batch) => (int)Math.Min(_batchSize, ShareCount - (batch * _batchSize));

    /// <summary>Copies the rows of batch <paramref name="batch"/> (counted from <see cref="Start"/>) into <paramref name="destination"/>, which holds <see cref="BatchLength"/> of them.</summary>
    public void Copy(long batch, Span<long> destination)
    {
        long first = batch * _batchSize;
        if (_share is not null)
        {
            _share.AsSpan((int)(_skipped + first), destination.Length).CopyTo(destination);
            return;
        }
        int replicas = _sampler.NumReplicas;
        _sampler.CopyOrder(_epoch, Start + _sampler.Rank + (first * replicas), replicas, destination);
    }

    /// <summary>The global position reached once <paramref name="batches"/> batches of this enumeration are consumed: every
    /// replica has then read the same number of rows, so the positions before it are all read.</summary>
    public long PositionAfter(long batches) => Start + (Math.Min(batches * _batchSize, ShareCount) * _sampler.NumReplicas);
}
