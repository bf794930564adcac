using TorchMmap.Internal;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Data;

/// <summary>
/// A per-name conversion applied to each batch as it is made: a type cast, a scale, and a per-channel
/// normalisation <c>(x * scale - mean) / std</c>, as torchvision's <c>ToTensor</c> + <c>Normalize</c>.
/// </summary>
/// <remarks>
/// The cast makes the one new tensor; scale and normalisation are folded into a single multiply-add done in place
/// on it, so no further full-size temporary is made. Channels are the first dimension of a sample (the second of a batch).
/// Instances are immutable and can be shared.
/// </remarks>
public sealed class BatchConversion
{
    private readonly double[] _multiplier;
    private readonly double[] _offset;

    private BatchConversion(ScalarType type, double scale, double[]? mean, double[]? std)
    {
        if (!double.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, Messages.ConversionScaleNotFinite);
        if ((mean is null) != (std is null))
            throw new ArgumentException(Messages.ConversionMeanStdPair, mean is null ? nameof(mean) : nameof(std));
        if (mean is not null && std is not null)
        {
            if (mean.Length == 0 || mean.Length != std.Length)
                throw new ArgumentException(Messages.Format(Messages.ConversionMeanStdCounts, mean.Length, std.Length), nameof(std));
            if (std.Any(s => s == 0 || !double.IsFinite(s)))
                throw new ArgumentOutOfRangeException(nameof(std), Messages.ConversionStdInvalid);
        }
        DType = type;
        Scale = scale;
        Mean = mean?.ToArray();
        Std = std?.ToArray();
        int channels = mean?.Length ?? 1;
        _multiplier = new double[channels];
        _offset = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            _multiplier[c] = std is null ? scale : scale / std[c];
            _offset[c] = mean is null ? 0 : -mean[c] / std![c];
        }
    }

    /// <summary>The element type batches are cast to.</summary>
    public ScalarType DType { get; }

    /// <summary>The factor applied before normalisation (1/255 turns bytes into [0, 1]).</summary>
    public double Scale { get; }

    /// <summary>Per-channel means, or null for none.</summary>
    public IReadOnlyList<double>? Mean { get; }

    /// <summary>Per-channel standard deviations, or null for none.</summary>
    public IReadOnlyList<double>? Std { get; }

    /// <summary>A conversion to float32: <c>(x * scale - mean) / std</c>.</summary>
    /// <param name="scale">The factor applied first, e.g. 1/255 for bytes.</param>
    /// <param name="mean">Per-channel means (one value applies to every channel), or null.</param>
    /// <param name="std">Per-channel standard deviations, or null.</param>
    /// <returns>The conversion.</returns>
    /// <exception cref="ArgumentException">Only one of mean and std is given, or their lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The scale is not finite, or a std is zero or not finite.</exception>
    public static BatchConversion ToFloat32(double scale = 1.0, double[]? mean = null, double[]? std = null) => new(ScalarType.Float32, scale, mean, std);

    /// <summary>A conversion to any floating-point type: <c>(x * scale - mean) / std</c>.</summary>
    /// <param name="type">A floating-point element type.</param>
    /// <param name="scale">The factor applied first.</param>
    /// <param name="mean">Per-channel means, or null.</param>
    /// <param name="std">Per-channel standard deviations, or null.</param>
    /// <returns>The conversion.</returns>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not floating point, or mean and std do not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The scale is not finite, or a std is zero or not finite.</exception>
    public static BatchConversion To(ScalarType type, double scale = 1.0, double[]? mean = null, double[]? std = null)
    {
        if (type is not (ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException(Messages.Format(Messages.ConversionTypeNotFloat, type), nameof(type));
        return new BatchConversion(type, scale, mean, std);
    }

    /// <summary>Converts <paramref name="batch"/> (samples along dimension 0) into a new tensor; the input is not disposed.</summary>
    /// <param name="batch">The batch.</param>
    /// <returns>The converted batch; the caller owns it.</returns>
    /// <exception cref="ArgumentException">The batch's channel count does not match the mean and std.</exception>
    public Tensor Apply(Tensor batch) => ApplyCore(batch, channelDim: 1);

    /// <summary>Converts one sample (no batch dimension).</summary>
    internal Tensor ApplyToSample(Tensor sample) => ApplyCore(sample, channelDim: 0);

    private Tensor ApplyCore(Tensor input, int channelDim)
    {
        ArgumentNullException.ThrowIfNull(input);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor result = input.to_type(DType, copy: true);
        if (_multiplier.Length == 1)
        {
            if (_multiplier[0] != 1)
                result.mul_(_multiplier[0]);
            if (_offset[0] != 0)
                result.add_(_offset[0]);
            return result.MoveToOuterDisposeScope();
        }
        if (input.dim() <= channelDim || input.shape[channelDim] != _multiplier.Length)
            throw new ArgumentException(Messages.Format(Messages.ConversionChannels, _multiplier.Length, channelDim, string.Join(", ", input.shape)), nameof(input));
        long[] shape = Enumerable.Repeat(1L, (int)input.dim() - channelDim).ToArray();
        shape[0] = _multiplier.Length;
        Tensor a = torch.tensor(_multiplier, dtype: DType).reshape(shape);
        Tensor b = torch.tensor(_offset, dtype: DType).reshape(shape);
        result.mul_(a).add_(b);
        return result.MoveToOuterDisposeScope();
    }
}
