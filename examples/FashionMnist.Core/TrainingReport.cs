namespace FashionMnist;

/// <summary>The outcome of a training run.</summary>
/// <param name="Epochs">Per-epoch results, in order.</param>
/// <param name="Confusion">The final confusion matrix on the test set.</param>
/// <param name="Wall">Wall time of the whole run (training and evaluation).</param>
/// <param name="DataWait">Time the loop spent waiting for batches from the loaders.</param>
/// <param name="Parameters">Trainable parameters of the model.</param>
/// <param name="CpuTime">Processor time the process used during the run (all threads); on a shared machine, a measure of the work
/// that does not grow with other processes' load as the wall time does.</param>
public sealed record TrainingReport(
    IReadOnlyList<EpochResult> Epochs,
    ConfusionMatrix Confusion,
    TimeSpan Wall,
    TimeSpan DataWait,
    long Parameters,
    TimeSpan CpuTime)
{
    /// <summary>The final test accuracy.</summary>
    public double FinalAccuracy => Epochs.Count == 0 ? 0 : Epochs[^1].TestAccuracy;

    /// <summary>The share of the wall time spent waiting for data.</summary>
    public double DataWaitShare => Wall <= TimeSpan.Zero ? 0 : DataWait / Wall;
}
