using System.Globalization;

namespace TinyGpt;

/// <summary>Progress as plain lines (for logs and redirected output): one line per validation estimate.</summary>
/// <param name="output">Where lines go.</param>
public sealed class PlainProgressObserver(TextWriter output) : ITrainingObserver
{
    private int _steps;
    private double _tokensPerSecond;

    /// <inheritdoc />
    public void TrainingStarted(int steps) => _steps = steps;

    /// <inheritdoc />
    public void StepCompleted(int step, double loss, double tokensPerSecond) => _tokensPerSecond = tokensPerSecond;

    /// <inheritdoc />
    public void Evaluated(EvalPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        double eta = point.Step == 0 ? double.NaN : point.Elapsed.TotalSeconds / point.Step * (_steps - point.Step);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {point.Step,5}/{_steps}  train {point.TrainLoss:F4}  val {point.ValidationLoss:F4}  lr {point.LearningRate:E2}  {_tokensPerSecond:F0} tokens/s  {point.Elapsed.TotalSeconds:F0} s  eta {eta:F0} s"));
        output.Flush();
    }
}
