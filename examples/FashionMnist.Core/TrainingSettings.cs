namespace FashionMnist;

/// <summary>The knobs of one training run. The defaults are the tuned run docs/examples.md reports.</summary>
public sealed record TrainingSettings
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 12;

    /// <summary>Samples per training batch.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Seeds the weights, the shuffled order and the augmentation: the same seed gives the same run.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Threads TorchSharp computes with (<c>torch.set_num_threads</c>).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Channels of the network's first block.</summary>
    public int Width { get; init; } = 32;

    /// <summary>The peak learning rate of the one-cycle schedule (AdamW).</summary>
    public double MaxLearningRate { get; init; } = 3e-3;

    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public double LabelSmoothing { get; init; } = 0.05;

    /// <summary>Whether training images are flipped left-right at random.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Padding of the random crop (0 turns it off).</summary>
    public int CropPadding { get; init; } = 2;

    /// <summary>Mean of the training pixels in [0, 1], subtracted before dividing by <see cref="PixelStd"/>.</summary>
    public double PixelMean { get; init; } = 0.2860;

    /// <summary>Standard deviation of the training pixels in [0, 1].</summary>
    public double PixelStd { get; init; } = 0.3530;

    /// <summary>Samples per evaluation batch.</summary>
    public int EvalBatchSize { get; init; } = 1000;

    /// <summary>Number of classes.</summary>
    public int Classes { get; init; } = 10;
}
