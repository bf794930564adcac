using FashionMnist;
using TorchMmap.Format;

namespace TorchMmap.Tests.Examples;

/// <summary>
/// Writes small learnable image sets in the example's .npy layout: uint8 (N, 1, 28, 28) and int64 labels. Each of five
/// classes is a texture that survives the example's flips and small shifts (horizontal stripes, vertical stripes, a
/// checkerboard, a disk, a ring) at a random brightness over random noise.
/// </summary>
internal static class SyntheticImages
{
    public const int Classes = 5;

    public static DatasetFiles Write(string directory, int train, int test, int seed)
    {
        string Path(string name) => System.IO.Path.Combine(directory, name);
        var files = new DatasetFiles(Path("train-images.npy"), Path("train-labels.npy"), Path("test-images.npy"), Path("test-labels.npy"));
        var random = new Random(seed);
        WriteSet(files.TrainImages, files.TrainLabels, train, random);
        WriteSet(files.TestImages, files.TestLabels, test, random);
        return files;
    }

    private static void WriteSet(string imagesPath, string labelsPath, int count, Random random)
    {
        using var images = NpyWriter.Create(imagesPath, NpyDType.UInt8, [1, 28, 28]);
        using var labels = NpyWriter.Create(labelsPath, NpyDType.Int64, []);
        byte[] image = new byte[28 * 28];
        for (int i = 0; i < count; i++)
        {
            int label = random.Next(Classes);
            Draw(image, label, random);
            images.Append<byte>(image);
            labels.Append<long>([label]);
        }
        images.Complete();
        labels.Complete();
    }

    private static void Draw(byte[] image, int label, Random random)
    {
        int brightness = 140 + random.Next(116);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                double r = Math.Sqrt((y - 13.5) * (y - 13.5) + (x - 13.5) * (x - 13.5));
                bool on = label switch
                {
                    0 => y / 3 % 2 == 0,
                    1 => x / 3 % 2 == 0,
                    2 => (x / 4 + y / 4) % 2 == 0,
                    3 => r < 8,
                    _ => r is > 7 and < 11,
                };
                image[y * 28 + x] = (byte)Math.Min(255, (on ? brightness : 0) + random.Next(60));
            }
    }
}
