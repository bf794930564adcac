using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FashionMnist;

/// <summary>
/// A small convolutional classifier for 28x28 grayscale images: three blocks of 3x3 convolution, batch norm, ReLU and
/// 2x2 max pooling (28 -> 14 -> 7 -> 3), then dropout and two linear layers.
/// </summary>
public sealed class FashionCnn : Module<Tensor, Tensor>
{
    private readonly Sequential _features;
    private readonly Sequential _classifier;

    /// <summary>Creates the network with freshly initialised weights (from TorchSharp's global generator).</summary>
    /// <param name="width">Channels of the first block; the second and third have two and four times as many.</param>
    /// <param name="classes">Number of output classes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> or <paramref name="classes"/> is not positive.</exception>
    public FashionCnn(int width = 32, int classes = 10)
        : base(nameof(FashionCnn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        _features = Sequential(
            ("block1", Block(1, width)),
            ("block2", Block(width, 2 * width)),
            ("block3", Block(2 * width, 4 * width)),
            ("flatten", Flatten()));
        _classifier = Sequential(
            ("dropout", Dropout(0.3)),
            ("fc1", Linear(4 * width * 3 * 3, 128)),
            ("relu", ReLU()),
            ("fc2", Linear(128, classes)));
        RegisterComponents();
    }

    /// <summary>Computes class logits.</summary>
    /// <param name="input">Images of shape (N, 1, 28, 28), float32.</param>
    /// <returns>Logits of shape (N, classes).</returns>
    public override Tensor forward(Tensor input)
    {
        using Tensor features = _features.call(input);
        return _classifier.call(features);
    }

    /// <summary>The number of trainable parameters.</summary>
    /// <returns>The count.</returns>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _features.Dispose();
            _classifier.Dispose();
        }
        base.Dispose(disposing);
    }

    private static Sequential Block(int input, int output) => Sequential(
        ("conv", Conv2d(input, output, kernel_size: 3, padding: 1, bias: false)),
        ("bn", BatchNorm2d(output)),
        ("relu", ReLU()),
        ("pool", MaxPool2d(kernel_size: 2)));
}
