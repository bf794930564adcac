using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>NpyMmapDataset is a stock TorchSharp map-style dataset: TorchSharp's own DataLoader reads it unchanged.</summary>
public sealed class NpyDataLoaderTorchSharpTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static void AssertSameBatches(IEnumerable<Dictionary<string, Tensor>> stock, NpyDataLoader ours)
    {
        using IEnumerator<Dictionary<string, Tensor>> a = stock.GetEnumerator();
        using IEnumerator<Dictionary<string, Tensor>> b = ours.GetEnumerator();
        int batches = 0;
        while (a.MoveNext())
        {
            Assert.True(b.MoveNext(), "NpyDataLoader ended early.");
            using DisposeScope scope = torch.NewDisposeScope();
            Assert.Equal(a.Current.Keys.Order(StringComparer.Ordinal), b.Current.Keys.Order(StringComparer.Ordinal));
            foreach ((string name, Tensor expected) in a.Current)
            {
                Tensor actual = b.Current[name];
                Assert.Equal(expected.dtype, actual.dtype);
                Assert.Equal(expected.shape, actual.shape);
                Assert.True(expected.eq(actual).all().item<bool>(), $"'{name}' of batch {batches} differs.");
            }
            batches++;
        }
        Assert.False(b.MoveNext(), "NpyDataLoader gave more batches.");
        Assert.Equal(ours.Count, batches);
    }

    [Fact]
    public void StockDataLoader_Sequential_GivesTheSameBatchesAsNpyDataLoader()
    {
        Dictionary<string, string> paths = _files.WriteMixed(150);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        dataset.SetConversion("image", BatchConversion.ToFloat32(scale: 1 / 255.0, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3]));
        using var stock = torch.utils.data.DataLoader(dataset, batchSize: 32, shuffle: false, disposeBatch: true, disposeDataset: false);
        using var ours = new NpyDataLoader(dataset, batchSize: 32, num_workers: 2);
        Assert.Equal(stock.Count, ours.Count);
        AssertSameBatches(stock, ours);
    }

    [Fact]
    public void StockDataLoader_OurSamplerAsShuffler_GivesTheSameBatches()
    {
        Dictionary<string, string> paths = _files.WriteMixed(90);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        var sampler = new RandomSampler(90, seed: 12);
        using var stock = torch.utils.data.DataLoader(dataset, batchSize: 16, shuffler: sampler, disposeBatch: true, disposeDataset: false);
        using var ours = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 12);
        AssertSameBatches(stock, ours);
    }
}
