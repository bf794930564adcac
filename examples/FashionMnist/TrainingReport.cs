namespace FashionMnist;

/// <summary>The outcome of a training run.</summary>
/// <param name="Epochs">Per-epoch results, in order.</param>
/// <param name="Confusion">The final confusion matrix on the test set.</param>
/// <param name="Wall">Wall time of the whole run (training and evaluation).</param>
/// <param name="DataWait">Time the loop spent waiting for batches from the loaders.</param>
/// <param name="Parameters">Trainable parameters of the model.</param>
public sealed record TrainingReport(
    IReadOnlyList<EpochResult> Epochs,
    ConfusionMatrix Confusion,
    TimeSpan Wall,
    TimeSpan DataWait,
    long Parameters)
{
    /// <summary>The final test accuracy.</summary>
    public double FinalAccuracy => Epochs.Count == 0 ? 0 : Epochs[^1].TestAccuracy;

    /// <summary>The share of the wall time spent waiting for data.</summary>
    public double DataWaitShare => Wall <= TimeSpan.Zero ? 0 : DataWait / Wall;
}
