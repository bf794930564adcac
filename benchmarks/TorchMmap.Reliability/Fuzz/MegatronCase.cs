using TorchMmap.Format;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>One generated Megatron indexed dataset (index and data file) and how it is opened.</summary>
/// <param name="Family">The kind of mutation that made it (used to count cases).</param>
/// <param name="Description">A readable account of the case, printed when it fails.</param>
/// <param name="Idx">The <c>.idx</c> bytes.</param>
/// <param name="Bin">The <c>.bin</c> bytes.</param>
/// <param name="Convention">The dtype-code table passed to the reader.</param>
/// <param name="Multimodal">The <c>multimodal</c> flag passed to the reader.</param>
/// <param name="Expect">The outcome required beyond the oracle's (which decides every case): <see cref="Expect.Accept"/> for
/// untouched files, <see cref="Expect.RefuseInvalid"/> for a cut index, otherwise <see cref="Expect.AnyDocumented"/>.</param>
public sealed record MegatronCase(string Family, string Description, byte[] Idx, byte[] Bin, IndexedDatasetConvention Convention, bool Multimodal, Expect Expect)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Family}: {Description} (opened as {Convention}{(Multimodal ? ", multimodal" : "")}, expect {Expect}): idx {Convert.ToHexString(Idx.AsSpan(0, Math.Min(Idx.Length, 96)))}";
}
