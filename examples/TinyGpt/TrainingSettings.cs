using TorchMmap.Data;

namespace TinyGpt;

/// <summary>The knobs of one training run. The defaults are the run docs/examples.md reports.</summary>
public sealed record TrainingSettings
{
    /// <summary>The model's shape; its vocabulary size is set from the tokenizer.</summary>
    public GptConfig Model { get; init; } = new();

    /// <summary>How the training text is laid out: null for token windows at random offsets (nanoGPT's <c>get_batch</c>), a
    /// packing mode for documents packed into sequences with attention and positions kept within each document.</summary>
    public PackingMode? Packing { get; init; }

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1200;

    /// <summary>Windows per step (B); each holds <see cref="GptConfig.BlockSize"/> tokens.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Seeds the weights, the window order and the sample: the same seed gives the same run.</summary>
    public long Seed { get; init; } = 1337;

    /// <summary>Threads TorchSharp computes with (<c>torch.set_num_threads</c>).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The peak learning rate (AdamW), reached after <see cref="WarmupSteps"/>, then decayed on a cosine to <see cref="MinLearningRate"/>.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>The learning rate at the last step.</summary>
    public double MinLearningRate { get; init; } = 1e-4;

    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>AdamW's decoupled weight decay, on the weight matrices and embeddings only (not on biases and LayerNorm gains).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>The largest gradient norm; larger gradients are scaled down to it.</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>Steps between estimates of the validation loss.</summary>
    public int EvalInterval { get; init; } = 100;

    /// <summary>Validation windows each estimate reads (spread evenly over the split); the final evaluation reads all.</summary>
    public int EvalWindows { get; init; } = 256;

    /// <summary>Windows per evaluation batch.</summary>
    public int EvalBatchSize { get; init; } = 64;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        Model.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Threads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvalInterval);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvalWindows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvalBatchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(WeightDecay);
        if (Packing is PackingMode mode && !Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(Packing), mode, "Unknown packing mode.");
        if (!(LearningRate > 0) || !(MinLearningRate >= 0) || MinLearningRate > LearningRate)
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"Learning rates must satisfy 0 <= min ({MinLearningRate}) <= peak, peak > 0.");
        if (!(GradientClip > 0))
            throw new ArgumentOutOfRangeException(nameof(GradientClip), GradientClip, "The gradient clip must be positive.");
    }

    /// <summary>The learning rate at <paramref name="step"/> (from 0): linear warm-up, then a cosine to <see cref="MinLearningRate"/>.</summary>
    /// <param name="step">The step.</param>
    /// <returns>The learning rate.</returns>
    public double LearningRateAt(int step)
    {
        if (step < WarmupSteps)
            return LearningRate * (step + 1) / WarmupSteps;
        double progress = Steps <= WarmupSteps ? 1 : Math.Min(1, (double)(step - WarmupSteps) / (Steps - 1 - WarmupSteps));
        return MinLearningRate + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (LearningRate - MinLearningRate);
    }
}
