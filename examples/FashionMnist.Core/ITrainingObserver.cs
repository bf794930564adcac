namespace FashionMnist;

/// <summary>Hears about a training run as it goes, to show progress.</summary>
public interface ITrainingObserver
{
    /// <summary>An epoch starts.</summary>
    /// <param name="epoch">The epoch, from 1.</param>
    /// <param name="epochs">Epochs in the run.</param>
    /// <param name="batches">Training batches in the epoch.</param>
    void EpochStarted(int epoch, int epochs, long batches);

    /// <summary>A training batch is done.</summary>
    /// <param name="batch">Batches done in this epoch.</param>
    /// <param name="samplesPerSecond">Training throughput so far in this epoch.</param>
    /// <param name="meanLoss">Mean loss so far in this epoch.</param>
    void BatchCompleted(long batch, double samplesPerSecond, double meanLoss);

    /// <summary>An epoch, with its evaluation, is done.</summary>
    /// <param name="result">What it measured.</param>
    void EpochCompleted(EpochResult result);
}
