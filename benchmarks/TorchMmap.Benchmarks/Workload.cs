using TorchMmap.Format;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>One benchmark data set: an image array and int64 labels, written once with the library's writer.</summary>
internal sealed record Workload(string Name, NpyDType DType, long Rows, long[] SampleShape, int BatchSize, int DataAlignment = 64)
{
    public static readonly Workload[] All =
    [
        new("mnist", NpyDType.UInt8, 60000, [1, 28, 28], 256),
        new("cifar", NpyDType.Float32, 50000, [3, 32, 32], 256),
        new("imagenet", NpyDType.UInt8, 8192, [3, 224, 224], 64),
    ];

    /// <summary>The cifar layout with more rows, for the larger-than-memory runs (a TorchSharp process alone needs ~150 MiB,
    /// so the memory limit, and with it the file at 4x the limit, must be larger than cifar's 585 MiB allows).</summary>
    /// <param name="rows">Rows of the file.</param>
    /// <param name="pageAligned">True for the same rows in a file whose data starts on a page (a 4096-byte header), so each
    /// row of 12 KiB lies on three whole pages; false for the layout np.save writes (data 128 bytes into a page).</param>
    public static Workload ColdCifar(long rows, bool pageAligned = false) => pageAligned
        ? new($"cifar{rows / 1000}k-page", NpyDType.Float32, rows, [3, 32, 32], 256, DataAlignment: 4096)
        : new($"cifar{rows / 1000}k", NpyDType.Float32, rows, [3, 32, 32], 256);

    public long SampleBytes => SampleShape.Aggregate(1L, (a, b) => a * b) * DType.ItemSize;

    public long ImageBytes => SampleBytes * Rows;

    public string ImagesPath(string dir) => Path.Combine(dir, $"{Name}-x.npy");

    public string LabelsPath(string dir) => Path.Combine(dir, $"{Name}-y.npy");

    public static Workload Find(string name) =>
        All.FirstOrDefault(w => w.Name == name) ?? throw new ArgumentException($"Unknown workload '{name}'; use {string.Join(", ", All.Select(w => w.Name))}.");

    /// <summary>Writes the files unless they already exist with the right size.</summary>
    public void EnsureWritten(string dir)
    {
        Directory.CreateDirectory(dir);
        string x = ImagesPath(dir), y = LabelsPath(dir);
        if (File.Exists(x) && File.Exists(y) && new FileInfo(x).Length > ImageBytes && new FileInfo(y).Length > Rows * 8)
            return;
        Console.Error.WriteLine($"writing {Name} to {dir} ...");
        using (var writer = NpyWriter.Create(x, DType, SampleShape, DataAlignment))
        {
            // Chunks of about 64 MiB of pseudo-random content, so no page is all zeros.
            long chunk = Math.Max(1, (64L << 20) / SampleBytes);
            torch.manual_seed(1);
            for (long start = 0; start < Rows; start += chunk)
            {
                long n = Math.Min(chunk, Rows - start);
                long[] shape = [n, .. SampleShape];
                using Tensor rows = DType.ScalarType == ScalarType.Byte
                    ? torch.randint(0, 256, shape, dtype: ScalarType.Byte)
                    : torch.rand(shape, dtype: ScalarType.Float32);
                writer.Append(rows);
            }
            writer.Complete();
        }
        using (var writer = NpyWriter.Create(y, NpyDType.Int64, []))
        {
            using Tensor labels = torch.arange(Rows, dtype: ScalarType.Int64).remainder(10);
            writer.Append(labels);
            writer.Complete();
        }
    }
}
