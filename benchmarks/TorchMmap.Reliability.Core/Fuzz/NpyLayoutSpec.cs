namespace TorchMmap.Reliability.Fuzz;

/// <summary>The header fields a .npy file must read as.</summary>
/// <param name="DType">The dtype.</param>
/// <param name="Shape">The shape.</param>
/// <param name="Fortran">The fortran_order flag.</param>
public sealed record NpyLayoutSpec(FuzzDType DType, long[] Shape, bool Fortran)
{
    /// <summary>The number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);

    /// <inheritdoc />
    public override string ToString() => $"{DType.Descr} ({string.Join(", ", Shape)}){(Fortran ? " F" : "")}";
}
