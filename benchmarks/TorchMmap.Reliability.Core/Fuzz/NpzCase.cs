namespace TorchMmap.Reliability.Fuzz;

/// <summary>One generated .npz archive and what reading it must do.</summary>
/// <param name="Family">The kind of mutation that made it.</param>
/// <param name="Description">A readable account of the case.</param>
/// <param name="Bytes">The archive's bytes.</param>
/// <param name="Expect">The required outcome of loading the whole archive.</param>
/// <param name="Original">The archive it was made from.</param>
/// <param name="Strict">True when only zip records were touched, so anything read must equal the original arrays.</param>
public sealed record NpzCase(string Family, string Description, byte[] Bytes, Expect Expect, NpzBaseFile Original, bool Strict)
{
    /// <summary>For archives zip readers can read more than one way: the arrays <c>dict(np.load(path))</c> holds, by name.</summary>
    public IReadOnlyDictionary<string, NpyBaseFile>? NumPyReads { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Family}: {Description} [{Original}] ({Bytes.Length} bytes, expect {Expect})";
}
