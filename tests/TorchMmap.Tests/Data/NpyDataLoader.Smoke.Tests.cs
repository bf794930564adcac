using TorchMmap.Data;
using TorchMmap.Format;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class NpyDataLoaderSmokeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-smoke-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Loader_ShuffledEpoch_BatchesEqualIndependentReads()
    {
        string x = Path.Combine(_dir, "x.npy"), y = Path.Combine(_dir, "y.npy");
        using (Tensor images = torch.arange(100 * 6, dtype: ScalarType.Int32).reshape(100, 2, 3))
            Npy.Save(x, images);
        using (Tensor labels = torch.arange(100, dtype: ScalarType.Int64))
            Npy.Save(y, labels);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 3);
        long seen = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            long[] labels = batch["y"].data<long>().ToArray();
            using Tensor expected = torch.tensor(labels).unsqueeze(1).mul(6).add(torch.arange(6)).reshape(-1, 2, 3).to_type(ScalarType.Int32);
            Assert.Equal(expected.shape, batch["x"].shape);
            Assert.Equal(expected.data<int>().ToArray(), batch["x"].data<int>().ToArray());
            seen += labels.Length;
        }
        Assert.Equal(100, seen);
        Assert.Equal(1, loader.Epoch);
    }
}
