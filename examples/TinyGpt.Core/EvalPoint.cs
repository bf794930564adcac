namespace TinyGpt;

/// <summary>An estimate of the losses during training.</summary>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TrainLoss">Mean training loss of the steps since the previous estimate, in nats per token.</param>
/// <param name="ValidationLoss">Loss on the evenly spread validation windows, in nats per token.</param>
/// <param name="LearningRate">The learning rate of the last step.</param>
/// <param name="Elapsed">Wall time since training started.</param>
public sealed record EvalPoint(int Step, double TrainLoss, double ValidationLoss, double LearningRate, TimeSpan Elapsed);
