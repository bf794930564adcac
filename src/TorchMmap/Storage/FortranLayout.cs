using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Storage;

/// <summary>Fortran-order data read whole: it is the C-order data of the reversed shape, with its axes reversed.</summary>
internal static class FortranLayout
{
    /// <summary>The shape to read Fortran-order data into as if it were C order: <paramref name="shape"/> reversed.</summary>
    public static long[] ReversedShape(ReadOnlySpan<long> shape)
    {
        long[] reversed = shape.ToArray();
        Array.Reverse(reversed);
        return reversed;
    }

    /// <summary>A new C-order tensor of the array's shape from <paramref name="raw"/>, the data read in <see cref="ReversedShape"/>.</summary>
    /// <remarks><paramref name="raw"/> is not disposed; the result belongs to the current dispose scope.</remarks>
    public static Tensor ToCOrder(Tensor raw)
    {
        long[] axes = new long[raw.Dimensions];
        for (int i = 0; i < axes.Length; i++)
            axes[i] = axes.Length - 1 - i;
        return raw.permute(axes).contiguous();
    }
}
