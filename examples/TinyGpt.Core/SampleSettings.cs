namespace TinyGpt;

/// <summary>What the run generates at the end: a continuation of a fixed prompt, sampled with a fixed seed.</summary>
public sealed record SampleSettings
{
    /// <summary>The start of the text.</summary>
    public string Prompt { get; init; } = "And Jesus said unto them,";

    /// <summary>Tokens to generate.</summary>
    public int Tokens { get; init; } = 400;

    /// <summary>Divides the logits before the softmax.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Only the most likely tokens are drawn from.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Seeds the draws.</summary>
    public long Seed { get; init; } = 1337;
}
