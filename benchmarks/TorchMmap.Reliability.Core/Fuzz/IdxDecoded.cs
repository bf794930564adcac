namespace TorchMmap.Reliability.Fuzz;

/// <summary>What the oracle expects a conversion to write: the .npy descr, shape and little-endian data bytes.</summary>
/// <param name="Descr">The NumPy descr, e.g. <c>&lt;f4</c>.</param>
/// <param name="Shape">The array shape.</param>
/// <param name="Data">The data bytes in C order, little endian.</param>
public sealed record IdxDecoded(string Descr, long[] Shape, byte[] Data);
