namespace TorchMmap.Reliability.Fuzz;

/// <summary>A valid .npy file, built from the specification, that mutations start from.</summary>
/// <param name="Layout">The header fields.</param>
/// <param name="Version">The format version (1, 2 or 3).</param>
/// <param name="Data">The data bytes, exactly as many as the shape needs.</param>
public sealed record NpyBaseFile(NpyLayoutSpec Layout, int Version, byte[] Data)
{
    /// <summary>The whole file.</summary>
    public byte[] Bytes { get; } = NpyBytes.File(NpyBytes.Dict(Layout.DType.Descr, Layout.Fortran, Layout.Shape), Version, Data);

    /// <summary>The offset of the first data byte.</summary>
    public int DataOffset => Bytes.Length - Data.Length;

    /// <inheritdoc />
    public override string ToString() => $"v{Version} {Layout}";
}
