using System.Globalization;
using Spectre.Console;

namespace TinyGpt;

/// <summary>A Spectre.Console progress bar over the steps (tokens/s, loss, last validation estimate, ETA) for an interactive terminal.</summary>
/// <param name="context">The running progress display.</param>
public sealed class LiveProgressObserver(ProgressContext context) : ITrainingObserver
{
    private ProgressTask? _task;
    private double _validation = double.NaN;
    private double _smoothed = double.NaN;

    /// <inheritdoc />
    public void TrainingStarted(int steps) => _task = context.AddTask("training", maxValue: steps);

    /// <inheritdoc />
    public void StepCompleted(int step, double loss, double tokensPerSecond)
    {
        if (_task is null)
            return;
        _smoothed = double.IsNaN(_smoothed) ? loss : 0.9 * _smoothed + 0.1 * loss;
        _task.Value = step;
        _task.Description = string.Create(CultureInfo.InvariantCulture,
            $"step {step}/{_task.MaxValue:F0}  {tokensPerSecond,6:F0} tokens/s  train {_smoothed:F3}  val {_validation:F3}");
    }

    /// <inheritdoc />
    public void Evaluated(EvalPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        _validation = point.ValidationLoss;
        if (_task is not null && point.Step >= _task.MaxValue)
            _task.StopTask();
    }
}
