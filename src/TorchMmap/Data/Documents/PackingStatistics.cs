namespace TorchMmap.Data;

/// <summary>How well a layout uses its batch positions.</summary>
/// <param name="Sequences">Sequences (or padded rows).</param>
/// <param name="Positions">Input positions in all of them (sequences x T, or rows x padded length).</param>
/// <param name="RealTokens">Input positions holding a document token rather than padding.</param>
/// <param name="TrainedTargets">Positions whose target is the next token of the same document (the loss mask's ones).</param>
/// <param name="DocumentTokens">Tokens in all documents.</param>
public sealed record PackingStatistics(long Sequences, long Positions, long RealTokens, long TrainedTargets, long DocumentTokens)
{
    /// <summary>The share of input positions holding real tokens: 1 minus the share of padding.</summary>
    public double Efficiency => Positions == 0 ? 0 : (double)RealTokens / Positions;

    /// <summary>The share of padding among input positions.</summary>
    public double PaddingShare => Positions == 0 ? 0 : 1 - Efficiency;

    /// <summary>The share of input positions that are trained (the loss mask's ones).</summary>
    public double TrainedShare => Positions == 0 ? 0 : (double)TrainedTargets / Positions;
}
