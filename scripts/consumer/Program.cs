// A consumer of TorchMmap outside this repository: writes a .npy, reads it through the loader, checks the values.
using TorchMmap;
using TorchMmap.Data;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

string dir = Directory.CreateTempSubdirectory("torchmmap-consumer-").FullName;
try
{
    string path = Path.Combine(dir, "x.npy");
    using (Tensor values = arange(12, dtype: ScalarType.Float32).reshape(6, 2))
        Npy.Save(path, values);
    using var data = NpyMmapDataset.Open(("x", path));
    using var loader = new NpyDataLoader(data, batchSize: 4, num_workers: 0);
    double sum = 0;
    foreach (Dictionary<string, Tensor> batch in loader)
        sum += batch["x"].sum().item<float>();
    if (sum != 66)
        throw new InvalidOperationException($"expected a sum of 66, got {sum}");
    using NpyArray array = NpyArray.Open(path);
    Console.WriteLine($"consumer ok: {array.Header.Descr} {array.Header.FormatShape()}, sum {sum}, torch {__version__}");
}
finally
{
    Directory.Delete(dir, recursive: true);
}
