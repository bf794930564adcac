using TorchMmap.Idx;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>One generated IDX file and what converting it must do.</summary>
/// <param name="Family">The kind of mutation that made it (used to count cases).</param>
/// <param name="Description">A readable account of the case, printed when it fails.</param>
/// <param name="Bytes">The file's bytes, as written to disk (gzip'd or not).</param>
/// <param name="Content">The uncompressed IDX bytes the oracle decodes to find the expected result.</param>
/// <param name="Expect">The required outcome (<see cref="Expect.AnyDocumented"/>: refused, or converted as <paramref name="Content"/> decodes).</param>
/// <param name="Options">The conversion options.</param>
public sealed record IdxCase(string Family, string Description, byte[] Bytes, byte[] Content, Expect Expect, IdxConversionOptions Options)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Family}: {Description} ({Bytes.Length} bytes, expect {Expect}, channel={Options.InsertChannelAxis} widen={Options.WidenLabelsToInt64} chunk={Options.ChunkBytes}): {Convert.ToHexString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 96)))}";
}
