using TorchMmap.Data;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class BatchConversionTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string WriteImages(long rows, long channels)
    {
        string path = _files.PathOf("images.npy");
        using var generator = new torch.Generator(77);
        using Tensor images = torch.randint(0, 256, [rows, channels, 5, 4], dtype: ScalarType.Byte, generator: generator);
        Npy.Save(path, images);
        return path;
    }

    [Fact]
    public void Apply_ByteScale_EqualsTorchSharpDivisionInUnitRange()
    {
        string path = WriteImages(30, 1);
        using NpyArray raw = NpyArray.Open(path);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor bytes = raw.ReadRows(0, 30);
        Tensor converted = BatchConversion.ToFloat32(scale: 1 / 255.0).Apply(bytes);
        Tensor expected = bytes.to_type(ScalarType.Float32).div(255f);
        Assert.Equal(ScalarType.Float32, converted.dtype);
        Assert.Equal(bytes.shape, converted.shape);
        Assert.True(converted.allclose(expected, rtol: 1e-6, atol: 0));
        Assert.True(converted.min().item<float>() >= 0 && converted.max().item<float>() <= 1.000001f);
        // The input is left alone.
        Assert.False(bytes.IsInvalid);
        Assert.Equal(ScalarType.Byte, bytes.dtype);
    }

    [Fact]
    public void Apply_PerChannelMeanStd_EqualsTorchSharpNormalize()
    {
        string path = WriteImages(12, 3);
        using NpyArray raw = NpyArray.Open(path);
        double[] mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor bytes = raw.ReadRows(0, 12);
        Tensor converted = BatchConversion.ToFloat32(scale: 1 / 255.0, mean: mean, std: std).Apply(bytes);
        Tensor expected = bytes.to_type(ScalarType.Float32).div(255f)
            .sub(torch.tensor(mean, dtype: ScalarType.Float32).reshape(1, 3, 1, 1))
            .div(torch.tensor(std, dtype: ScalarType.Float32).reshape(1, 3, 1, 1));
        Assert.True(converted.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Apply_OneMeanStd_AppliesToEveryChannel()
    {
        string path = WriteImages(6, 3);
        using NpyArray raw = NpyArray.Open(path);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor bytes = raw.ReadRows(0, 6);
        Tensor converted = BatchConversion.ToFloat32(scale: 1 / 255.0, mean: [0.5], std: [0.5]).Apply(bytes);
        Tensor expected = bytes.to_type(ScalarType.Float32).div(255f).sub(0.5f).div(0.5f);
        Assert.True(converted.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(converted.min().item<float>() >= -1.00001f && converted.max().item<float>() <= 1.00001f);
    }

    [Fact]
    public void To_Float64_KeepsDoublePrecision()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor ints = torch.arange(-300, 300, dtype: ScalarType.Int16).reshape(100, 2, 3);
        Tensor converted = BatchConversion.To(ScalarType.Float64, scale: 0.1, mean: [1.5, -2.0], std: [3.0, 0.7]).Apply(ints);
        Tensor expected = ints.to_type(ScalarType.Float64).mul(0.1)
            .sub(torch.tensor(new[] { 1.5, -2.0 }).reshape(1, 2, 1))
            .div(torch.tensor(new[] { 3.0, 0.7 }).reshape(1, 2, 1));
        Assert.Equal(ScalarType.Float64, converted.dtype);
        Assert.True(converted.allclose(expected, rtol: 1e-12, atol: 1e-12));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Loader_WithConversion_BatchesAreTheConvertedRows(int workers)
    {
        string path = WriteImages(50, 3);
        string labels = _files.PathOf("labels.npy");
        using (Tensor l = torch.arange(50, dtype: ScalarType.Int64))
            Npy.Save(labels, l);
        using var dataset = NpyMmapDataset.Open(("image", path), ("label", labels));
        double[] mean = [0.1, 0.2, 0.3], std = [0.9, 0.8, 0.7];
        var conversion = BatchConversion.ToFloat32(scale: 1 / 255.0, mean: mean, std: std);
        dataset.SetConversion("image", conversion);
        using NpyArray raw = NpyArray.Open(path);
        using var loader = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 1, num_workers: workers);
        long[] order = LoaderAssert.RandPerm(50, 1);
        int k = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            long[] rows = order.Skip(k++ * 16).Take(16).ToArray();
            Tensor expected = torch.cat(rows.Select(i => raw.ReadRows(i, 1)).ToArray(), 0).to_type(ScalarType.Float32).div(255f)
                .sub(torch.tensor(mean, dtype: ScalarType.Float32).reshape(1, 3, 1, 1))
                .div(torch.tensor(std, dtype: ScalarType.Float32).reshape(1, 3, 1, 1));
            Assert.Equal(ScalarType.Float32, batch["image"].dtype);
            Assert.True(batch["image"].allclose(expected, rtol: 1e-5, atol: 1e-5));
            Assert.Equal(rows, batch["label"].data<long>().ToArray());
        }
        Assert.Equal(4, k);

        // Removing the conversion gives the stored bytes back.
        dataset.SetConversion("image", null);
        using DisposeScope after = torch.NewDisposeScope();
        Assert.Equal(ScalarType.Byte, dataset.GetBatch([3])["image"].dtype);
    }

    [Fact]
    public void Apply_ChannelCountMismatch_ThrowsArgumentException()
    {
        using Tensor batch = torch.zeros(4, 2, 3, 3, dtype: ScalarType.Byte);
        var conversion = BatchConversion.ToFloat32(mean: [0.1, 0.2, 0.3], std: [1, 1, 1]);
        Assert.Throws<ArgumentException>(() => conversion.Apply(batch));
    }

    [Fact]
    public void Create_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => BatchConversion.ToFloat32(mean: [0.5]));
        Assert.Throws<ArgumentException>(() => BatchConversion.ToFloat32(mean: [0.5, 0.5], std: [0.5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchConversion.ToFloat32(mean: [0.5], std: [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchConversion.ToFloat32(scale: double.NaN));
        Assert.Throws<ArgumentException>(() => BatchConversion.To(ScalarType.Int32));
    }
}
