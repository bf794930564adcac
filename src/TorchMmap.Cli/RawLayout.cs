using TorchMmap.Format;

namespace TorchMmap.Cli;

/// <summary>How to read a headerless file, as <c>np.memmap</c>'s dtype, offset, shape and order (see <see cref="RawLayoutOptions"/>).</summary>
internal sealed record RawLayout(NpyDType DType, long Offset, long[]? Shape, bool Fortran);
