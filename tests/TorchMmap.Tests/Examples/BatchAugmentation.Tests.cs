using FashionMnist;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Examples;

public sealed class BatchAugmentationTests
{
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static Tensor Distinct(long n) => torch.arange(n * 2 * 5 * 6, dtype: ScalarType.Float32).reshape(n, 2, 5, 6);

    [Fact]
    public void Apply_FlipOnly_EachImageIsItselfOrItsMirror()
    {
        using var scope = torch.NewDisposeScope();
        using var augmentation = new BatchAugmentation(seed: 1, flip: true, cropPadding: 0, padValue: 0);
        Tensor images = Distinct(64);

        Tensor result = augmentation.Apply(images);

        int flipped = 0;
        for (int i = 0; i < 64; i++)
        {
            bool same = Same(result[i], images[i]), mirrored = Same(result[i], images[i].flip(2));
            Assert.True(same ^ mirrored, $"image {i} is neither itself nor its mirror");
            flipped += mirrored ? 1 : 0;
        }
        Assert.InRange(flipped, 16, 48);
    }

    [Fact]
    public void Apply_CropOnly_EachImageIsAShiftWithPadding()
    {
        using var scope = torch.NewDisposeScope();
        const int P = 2;
        using var augmentation = new BatchAugmentation(seed: 2, flip: false, cropPadding: P, padValue: -7);
        Tensor images = Distinct(40);

        Tensor result = augmentation.Apply(images);

        Assert.Equal(images.shape, result.shape);
        var shifts = new HashSet<(int, int)>();
        for (int i = 0; i < 40; i++)
        {
            // Find the shift (dy, dx) in [-P, P]^2 for which the output is the input moved by it, padded with -7.
            Tensor padded = torch.nn.functional.pad(images[i], [P, P, P, P], value: -7);
            (int, int)? match = null;
            for (int dy = 0; dy <= 2 * P && match is null; dy++)
                for (int dx = 0; dx <= 2 * P && match is null; dx++)
                    if (Same(padded.narrow(1, dy, 5).narrow(2, dx, 6), result[i]))
                        match = (dy, dx);
            Assert.True(match.HasValue, $"image {i} is not a padded shift of the input");
            shifts.Add(match.Value);
        }
        Assert.True(shifts.Count > 5, "the offsets vary from image to image");
    }

    [Fact]
    public void Apply_SameSeed_SameOutput()
    {
        using var scope = torch.NewDisposeScope();
        using var a = new BatchAugmentation(9, true, 2, 0);
        using var b = new BatchAugmentation(9, true, 2, 0);
        Tensor images = Distinct(16);

        Assert.True(Same(a.Apply(images), b.Apply(images)));
    }

    [Fact]
    public void Apply_NotABatchOfImages_ThrowsArgument()
    {
        using var scope = torch.NewDisposeScope();
        using var augmentation = new BatchAugmentation(1, true, 2, 0);
        Assert.Throws<ArgumentException>(() => augmentation.Apply(torch.zeros(3, 4)));
    }
}
