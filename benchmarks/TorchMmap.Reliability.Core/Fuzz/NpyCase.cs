namespace TorchMmap.Reliability.Fuzz;

/// <summary>One generated .npy file and what reading it must do.</summary>
/// <param name="Family">The kind of mutation that made it (used to count cases).</param>
/// <param name="Description">A readable account of the case, printed when it fails.</param>
/// <param name="Bytes">The file's bytes.</param>
/// <param name="Expect">The required outcome.</param>
/// <param name="Accepted">For <see cref="Expect.Accept"/>, the header fields it must read as.</param>
public sealed record NpyCase(string Family, string Description, byte[] Bytes, Expect Expect, NpyLayoutSpec? Accepted)
{
    /// <inheritdoc />
    public override string ToString() => $"{Family}: {Description} ({Bytes.Length} bytes, expect {Expect}{(Accepted is null ? "" : " " + Accepted)}): {Convert.ToHexString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 160)))}";
}
