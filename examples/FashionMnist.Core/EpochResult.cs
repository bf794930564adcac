namespace FashionMnist;

/// <summary>What one epoch measured.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="TrainAccuracy">Training accuracy over the epoch (on augmented images, with dropout on).</param>
/// <param name="TestLoss">Mean loss on the test set.</param>
/// <param name="TestAccuracy">Accuracy on the test set.</param>
/// <param name="Duration">Wall time of the epoch, evaluation included.</param>
/// <param name="FirstBatchLoss">Loss of the epoch's first batch.</param>
/// <param name="LastBatchesLoss">Mean loss of the epoch's last tenth of batches.</param>
public sealed record EpochResult(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double TestLoss,
    double TestAccuracy,
    TimeSpan Duration,
    double FirstBatchLoss,
    double LastBatchesLoss);
