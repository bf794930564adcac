namespace TinyGpt;

/// <summary>The outcome of a training run.</summary>
/// <param name="Curve">The loss estimates, in step order (the first before any step).</param>
/// <param name="ValidationNats">Total loss over the validation targets the layout trains, in nats: every target of every
/// validation window for token windows, those inside documents for packed documents (<see cref="DocumentNats"/>).</param>
/// <param name="ValidationTargets">Tokens predicted in that evaluation.</param>
/// <param name="TrainWall">Wall time of the training loop, estimates included.</param>
/// <param name="DataWait">Time the training loop waited for batches from its loader.</param>
/// <param name="EvaluationWall">Wall time of the final evaluation.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="CpuTime">Processor time of the process during training and evaluation (all threads).</param>
public sealed record TrainingReport(
    IReadOnlyList<EvalPoint> Curve,
    double ValidationNats,
    long ValidationTargets,
    TimeSpan TrainWall,
    TimeSpan DataWait,
    TimeSpan EvaluationWall,
    long Parameters,
    TimeSpan CpuTime)
{
    /// <summary>Total loss over the validation targets inside documents (every target but the first token of a document), in
    /// nats: the figure both layouts are compared on.</summary>
    public double DocumentNats { get; init; }

    /// <summary>Tokens predicted in <see cref="DocumentNats"/>.</summary>
    public long DocumentTargets { get; init; }

    /// <summary>The final validation loss over the targets inside documents, nats per token.</summary>
    public double DocumentLossPerToken => DocumentNats / DocumentTargets;

    /// <summary>The final validation loss over the targets the layout trains, nats per token.</summary>
    public double ValidationLossPerToken => ValidationNats / ValidationTargets;

    /// <summary>The share of the training loop's wall time spent waiting for data.</summary>
    public double DataWaitShare => TrainWall <= TimeSpan.Zero ? 0 : DataWait / TrainWall;
}
