using System.Globalization;
using Spectre.Console;

namespace FashionMnist;

/// <summary>A Spectre.Console progress bar per epoch (samples/s, loss, ETA) for an interactive terminal.</summary>
/// <param name="context">The running progress display.</param>
public sealed class LiveProgressObserver(ProgressContext context) : ITrainingObserver
{
    private ProgressTask? _task;
    private string _label = "";

    /// <inheritdoc />
    public void EpochStarted(int epoch, int epochs, long batches)
    {
        _label = $"epoch {epoch}/{epochs}";
        _task = context.AddTask(_label, maxValue: batches);
    }

    /// <inheritdoc />
    public void BatchCompleted(long batch, double samplesPerSecond, double meanLoss)
    {
        if (_task is null)
            return;
        _task.Value = batch;
        _task.Description = string.Create(CultureInfo.InvariantCulture, $"{_label}  {samplesPerSecond,5:F0} samples/s  loss {meanLoss:F4}");
    }

    /// <inheritdoc />
    public void EpochCompleted(EpochResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (_task is null)
            return;
        _task.Description = string.Create(CultureInfo.InvariantCulture,
            $"{_label}  loss {result.TrainLoss:F4}  test {result.TestAccuracy:P2}  {result.Duration.TotalSeconds:F0} s");
        _task.Value = _task.MaxValue;
        _task.StopTask();
    }
}
