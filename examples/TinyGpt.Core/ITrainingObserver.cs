namespace TinyGpt;

/// <summary>Hears about a training run as it goes, to show progress.</summary>
public interface ITrainingObserver
{
    /// <summary>Training starts.</summary>
    /// <param name="steps">Steps in the run.</param>
    void TrainingStarted(int steps);

    /// <summary>A step is done.</summary>
    /// <param name="step">Steps done.</param>
    /// <param name="loss">The step's training loss.</param>
    /// <param name="tokensPerSecond">Training throughput so far.</param>
    void StepCompleted(int step, double loss, double tokensPerSecond);

    /// <summary>The losses were estimated.</summary>
    /// <param name="point">The estimate.</param>
    void Evaluated(EvalPoint point);
}
