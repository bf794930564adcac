namespace TorchMmap.Benchmarks;

/// <summary>One way of producing every batch of an epoch; the data is opened in the constructor, untimed.</summary>
internal interface IContender : IDisposable
{
    /// <summary>Reads one epoch and returns the number of samples produced.</summary>
    long RunEpoch(long epoch);

    /// <summary>Time the consumer spent waiting for batches so far, when the contender measures it.</summary>
    TimeSpan Wait { get; }

    /// <summary>Processor time of the last epoch when it was spent outside this process (a Python contender); null for
    /// contenders that run in this process, whose processor time the caller measures.</summary>
    TimeSpan? LastEpochCpu => null;
}
