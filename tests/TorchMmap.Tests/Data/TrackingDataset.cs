using System.Collections.Concurrent;
using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>
/// Wraps a dataset, remembering every tensor it hands out and how many batch reads are running, and optionally
/// throwing on the batch that starts at a chosen sample: what the loader's worker and disposal tests observe.
/// </summary>
internal sealed class TrackingDataset : IBatchDataset
{
    private readonly IBatchDataset _inner;
    private readonly long? _failAtFirstIndex;
    private readonly ConcurrentQueue<Tensor> _made = new();
    private int _running;
    private int _calls;

    /// <param name="inner">The dataset read.</param>
    /// <param name="failAtFirstIndex">When set, a batch whose first index is this value throws <see cref="BatchReadException"/>.</param>
    public TrackingDataset(IBatchDataset inner, long? failAtFirstIndex = null)
    {
        _inner = inner;
        _failAtFirstIndex = failAtFirstIndex;
    }

    /// <summary>Every tensor handed out so far.</summary>
    public IReadOnlyCollection<Tensor> Made => _made;

    /// <summary>Batch reads in progress right now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Batch reads started so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The exception thrown, once it has been.</summary>
    public BatchReadException? Thrown { get; private set; }

    public long Count => _inner.Count;

    public IReadOnlyList<string> Names => _inner.Names;

    public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref _running);
        try
        {
            if (indices.Length > 0 && indices[0] == _failAtFirstIndex)
                ThrowReadFailure(indices[0]);
            Dictionary<string, Tensor> batch = _inner.GetBatch(indices);
            foreach (Tensor t in batch.Values)
                _made.Enqueue(t);
            return batch;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private void ThrowReadFailure(long index)
    {
        Thrown = new BatchReadException($"Simulated read failure at sample {index}.");
        throw Thrown;
    }
}
