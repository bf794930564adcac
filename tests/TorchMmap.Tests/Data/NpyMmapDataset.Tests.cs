using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class NpyMmapDatasetTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void GetBatch_AnyOrderWithRepeats_EqualsTheRowsAsked()
    {
        (string x, string y) = _files.Write(50);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        long[] indices = [49, 0, 7, 8, 9, 7, 49, 23];
        Dictionary<string, Tensor> batch = dataset.GetBatch(indices);
        DataFiles.AssertRows(batch, indices);
        foreach (Tensor t in batch.Values)
            t.Dispose();
    }

    [Fact]
    public void GetBatch_ManyThreads_EqualsSingleThread()
    {
        (string x, string y) = _files.Write(5000);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        long[] indices = Enumerable.Range(0, 4000).Select(i => (long)((i * 7919L) % 5000)).ToArray();
        dataset.CopyThreads = 2;
        using var scope = torch.NewDisposeScope();
        DataFiles.AssertRows(dataset.GetBatch(indices), indices);
    }

    [Fact]
    public void GetTensor_OneSample_HasNoBatchDimension()
    {
        (string x, string y) = _files.Write(10);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        using var scope = torch.NewDisposeScope();
        Dictionary<string, Tensor> sample = dataset.GetTensor(4);
        Assert.Equal(new long[] { 2, 3 }, sample["x"].shape);
        Assert.Equal(Enumerable.Range(24, 6).ToArray(), sample["x"].data<int>().ToArray());
        Assert.Equal(4L, sample["y"].item<long>());
    }

    [Fact]
    public void GetBatch_ShardsSplittingTheBatch_ReadAsOneArray()
    {
        (string[] xs, string[] ys) = _files.WriteShards(7, 0, 10, 3);
        using var dataset = NpyMmapDataset.OpenShards(("x", xs), ("y", ys));
        Assert.Equal(20, dataset.Count);
        long[] indices = [5, 6, 7, 8, 19, 0, 16, 17, 18, 6];
        using var scope = torch.NewDisposeScope();
        DataFiles.AssertRows(dataset.GetBatch(indices), indices);
    }

    [Fact]
    public void Open_DifferentFirstDimensions_Throws()
    {
        (string x, _) = _files.Write(10);
        (_, string y) = _files.Write(11, prefix: "b");
        ArgumentException ex = Assert.Throws<ArgumentException>(() => NpyMmapDataset.Open(("x", x), ("y", y)));
        Assert.Contains("first dimension", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ShardsOfDifferentRowShape_ThrowsNamingTheShard()
    {
        (string[] xs, _) = _files.WriteShards(3, 4);
        string odd = _files.PathOf("odd.npy");
        using (Tensor t = torch.zeros(4, 3, 2, dtype: ScalarType.Int32))
            Npy.Save(odd, t);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => NpyMmapDataset.OpenShards(("x", new[] { xs[0], odd })));
        Assert.Contains(odd, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetBatch_OutOfRangeIndex_Throws()
    {
        (string x, string y) = _files.Write(10);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetBatch([3, 10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.GetBatch([-1]));
    }

    [Fact]
    public void SetConversion_BytesToNormalisedFloat_MatchesManualArithmetic()
    {
        string x = _files.PathOf("img.npy"), y = _files.PathOf("lab.npy");
        using var generator = new torch.Generator(5);
        using (Tensor images = torch.randint(0, 256, [12, 3, 4, 4], dtype: ScalarType.Byte, generator: generator))
            Npy.Save(x, images);
        using (Tensor labels = torch.arange(12, dtype: ScalarType.Int64))
            Npy.Save(y, labels);
        using var dataset = NpyMmapDataset.Open(("image", x), ("label", y));
        double[] mean = [0.5, 0.25, 0.125], std = [0.2, 0.4, 0.8];
        dataset.SetConversion("image", BatchConversion.ToFloat32(scale: 1 / 255.0, mean: mean, std: std));
        using var scope = torch.NewDisposeScope();
        long[] indices = [3, 1, 11];
        Dictionary<string, Tensor> batch = dataset.GetBatch(indices);
        using NpyArray raw = NpyArray.Open(x);
        Tensor expected = raw.Gather(indices).to_type(ScalarType.Float32).div(255.0)
            .sub(torch.tensor(mean, dtype: ScalarType.Float32).reshape(3, 1, 1))
            .div(torch.tensor(std, dtype: ScalarType.Float32).reshape(3, 1, 1));
        Assert.Equal(ScalarType.Float32, batch["image"].dtype);
        Assert.True(batch["image"].allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(ScalarType.Int64, batch["label"].dtype);

        Dictionary<string, Tensor> sample = dataset.GetTensor(11);
        Assert.True(sample["image"].allclose(expected[2], rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void SetConversion_UnknownName_Throws()
    {
        (string x, string y) = _files.Write(3);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        Assert.Throws<KeyNotFoundException>(() => dataset.SetConversion("z", BatchConversion.ToFloat32()));
    }

    [Fact]
    public void OpenNpz_StoredArchive_MapsEntriesAsNames()
    {
        string npz = _files.PathOf("d.npz");
        using (Tensor images = torch.arange(30, dtype: ScalarType.Int32).reshape(5, 2, 3))
        using (Tensor labels = torch.arange(5, dtype: ScalarType.Int64))
            Npy.SaveNpz(npz, new Dictionary<string, Tensor> { ["x"] = images, ["y"] = labels });
        using var dataset = NpyMmapDataset.OpenNpz(npz);
        Assert.Equal(new[] { "x", "y" }, dataset.Names);
        using var scope = torch.NewDisposeScope();
        DataFiles.AssertRows(dataset.GetBatch([4, 0, 2]), [4, 0, 2]);
    }

    [Fact]
    public void OpenNpz_NamedArrays_IgnoresOtherEntriesSuchAsA0dCount()
    {
        string npz = _files.PathOf("picked.npz");
        using (Tensor images = torch.arange(30, dtype: ScalarType.Int32).reshape(5, 2, 3))
        using (Tensor labels = torch.arange(5, dtype: ScalarType.Int64))
        using (Tensor count = torch.tensor(5L))
            Npy.SaveNpz(npz, new Dictionary<string, Tensor> { ["x"] = images, ["count"] = count, ["y"] = labels });
        // Every array: the 0-d entry has no rows, so the dataset cannot be made of all of them.
        Assert.ThrowsAny<Exception>(() => NpyMmapDataset.OpenNpz(npz));
        using var dataset = NpyMmapDataset.OpenNpz(npz, "y", "x");
        Assert.Equal(new[] { "y", "x" }, dataset.Names);
        Assert.Equal(5, dataset.Count);
        using var scope = torch.NewDisposeScope();
        DataFiles.AssertRows(dataset.GetBatch([4, 0, 2]), [4, 0, 2]);
        Assert.Throws<KeyNotFoundException>(() => NpyMmapDataset.OpenNpz(npz, "z"));
    }

    [Fact]
    public void Dispose_Twice_IsANoOpAndUseAfterThrows()
    {
        (string x, string y) = _files.Write(3);
        var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        dataset.Dispose();
        dataset.Dispose();
        Assert.Throws<ObjectDisposedException>(() => dataset.GetBatch([0]));
    }

    [Fact]
    public void RandomSplit_Lengths_PartitionsLikePyTorch()
    {
        (string x, string y) = _files.Write(20);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        Subset[] parts = Subset.RandomSplit(dataset, [15L, 5L], seed: 42);
        Assert.Equal(15, parts[0].Count);
        Assert.Equal(5, parts[1].Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), parts[0].Indices.Concat(parts[1].Indices).Order());
        // torch.utils.data.random_split uses randperm(n, generator) and slices it in order.
        using var generator = new torch.Generator(42);
        using Tensor perm = torch.randperm(20, generator: generator);
        Assert.Equal(perm.data<long>().ToArray(), parts[0].Indices.Concat(parts[1].Indices));
        using var scope = torch.NewDisposeScope();
        DataFiles.AssertRows(parts[1].GetBatch([0, 4, 2]), [parts[1].Indices[0], parts[1].Indices[4], parts[1].Indices[2]]);
    }

    [Fact]
    public void RandomSplit_Fractions_DistributesRemainder()
    {
        (string x, string y) = _files.Write(11);
        using var dataset = NpyMmapDataset.Open(("x", x), ("y", y));
        Subset[] parts = Subset.RandomSplit(dataset, [0.5, 0.5], seed: 1);
        Assert.Equal(6, parts[0].Count);
        Assert.Equal(5, parts[1].Count);
        Assert.Throws<ArgumentException>(() => Subset.RandomSplit(dataset, [0.5, 0.6], seed: 1));
    }
}
