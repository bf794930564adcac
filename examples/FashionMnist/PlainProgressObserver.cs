using System.Diagnostics;
using System.Globalization;

namespace FashionMnist;

/// <summary>Progress as plain lines (for logs and redirected output): a line every tenth of an epoch and one per epoch.</summary>
/// <param name="output">Where lines go.</param>
public sealed class PlainProgressObserver(TextWriter output) : ITrainingObserver
{
    private readonly Stopwatch _clock = new();
    private int _epoch;
    private int _epochs;
    private long _batches;

    /// <inheritdoc />
    public void EpochStarted(int epoch, int epochs, long batches)
    {
        (_epoch, _epochs, _batches) = (epoch, epochs, batches);
        _clock.Restart();
    }

    /// <inheritdoc />
    public void BatchCompleted(long batch, double samplesPerSecond, double meanLoss)
    {
        long step = Math.Max(1, _batches / 10);
        if (batch % step != 0 || batch == _batches)
            return;
        double eta = _clock.Elapsed.TotalSeconds / batch * (_batches - batch);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {_epoch}/{_epochs}  batch {batch}/{_batches}  {samplesPerSecond:F0} samples/s  loss {meanLoss:F4}  eta {eta:F0} s"));
    }

    /// <inheritdoc />
    public void EpochCompleted(EpochResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {result.Epoch}/{_epochs} done in {result.Duration.TotalSeconds:F1} s: train loss {result.TrainLoss:F4}, train accuracy {result.TrainAccuracy:P2}, test loss {result.TestLoss:F4}, test accuracy {result.TestAccuracy:P2}"));
        output.Flush();
    }
}
