using FashionMnist;
using TorchMmap.Format;
using TorchMmap.Tests.Idx;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Examples;

public sealed class FashionMnistDataTests : IDisposable
{
    private readonly IdxFiles _idx = new();

    public void Dispose() => _idx.Dispose();

    // Four small IDX files named as Fashion-MNIST's: 6 training and 4 test images of 28x28.
    private (string[] Files, byte[] TrainPixels, byte[] TrainLabels) WriteIdx(bool gzip = true)
    {
        var random = new Random(1);
        byte[] trainPixels = new byte[6 * 784], testPixels = new byte[4 * 784];
        random.NextBytes(trainPixels);
        random.NextBytes(testPixels);
        byte[] trainLabels = [0, 9, 3, 3, 1, 7], testLabels = [2, 2, 5, 8];
        string suffix = gzip ? ".gz" : "";
        _idx.Write("train-images-idx3-ubyte" + suffix, IdxFiles.UInt8(trainPixels, 6, 28, 28), gzip);
        _idx.Write("train-labels-idx1-ubyte" + suffix, IdxFiles.UInt8(trainLabels, 6), gzip);
        _idx.Write("t10k-images-idx3-ubyte" + suffix, IdxFiles.UInt8(testPixels, 4, 28, 28), gzip);
        _idx.Write("t10k-labels-idx1-ubyte" + suffix, IdxFiles.UInt8(testLabels, 4), gzip);
        return (FashionMnistData.FindIdxFiles(_idx.Dir)!, trainPixels, trainLabels);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Prepare_IdxFiles_WritesImagesN1HWAndInt64Labels(bool gzip)
    {
        (string[] idx, byte[] pixels, byte[] labels) = WriteIdx(gzip);
        string npyDir = Path.Combine(_idx.Dir, "out", "npy");

        (DatasetFiles files, bool converted) = FashionMnistData.Prepare(idx, npyDir);

        Assert.True(converted);
        using Tensor x = Npy.Load(files.TrainImages);
        using Tensor y = Npy.Load(files.TrainLabels);
        Assert.Equal(new long[] { 6, 1, 28, 28 }, x.shape);
        Assert.Equal(ScalarType.Byte, x.dtype);
        Assert.Equal(pixels, x.data<byte>().ToArray());
        Assert.Equal(labels.Select(b => (long)b).ToArray(), y.data<long>().ToArray());
        Assert.Equal(new long[] { 4, 1, 28, 28 }, NpyHeader.Read(files.TestImages).Shape);
        Assert.Equal(new long[] { 4 }, NpyHeader.Read(files.TestLabels).Shape);
    }

    [Fact]
    public void Prepare_SecondRun_ReusesTheNpyFiles()
    {
        (string[] idx, _, _) = WriteIdx();
        string npyDir = Path.Combine(_idx.Dir, "npy");
        (DatasetFiles files, _) = FashionMnistData.Prepare(idx, npyDir);
        DateTime written = File.GetLastWriteTimeUtc(files.TrainImages);
        var calls = 0;

        (_, bool converted) = FashionMnistData.Prepare(idx, npyDir, (_, _, _) => calls++);

        Assert.False(converted);
        Assert.Equal(0, calls);
        Assert.Equal(written, File.GetLastWriteTimeUtc(files.TrainImages));
    }

    [Fact]
    public void Prepare_DamagedNpy_IsConvertedAgain()
    {
        (string[] idx, byte[] pixels, _) = WriteIdx();
        string npyDir = Path.Combine(_idx.Dir, "npy");
        (DatasetFiles files, _) = FashionMnistData.Prepare(idx, npyDir);
        byte[] bytes = File.ReadAllBytes(files.TrainImages);
        File.WriteAllBytes(files.TrainImages, bytes[..^100]);

        (_, bool converted) = FashionMnistData.Prepare(idx, npyDir);

        Assert.True(converted);
        using Tensor x = Npy.Load(files.TrainImages);
        Assert.Equal(pixels, x.data<byte>().ToArray());
    }

    [Fact]
    public void Prepare_CorruptIdx_ThrowsInvalidDataNamingTheFile()
    {
        (string[] idx, _, _) = WriteIdx(gzip: false);
        File.WriteAllBytes(idx[1], IdxFiles.UInt8([1, 2], 6));

        var e = Assert.Throws<InvalidDataException>(() => FashionMnistData.Prepare(idx, Path.Combine(_idx.Dir, "npy")));

        Assert.Contains(idx[1], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindIdxFiles_OneMissing_ReturnsNullAndTheMessageSaysHowToGetThem()
    {
        (string[] idx, _, _) = WriteIdx();
        File.Delete(idx[2]);

        Assert.Null(FashionMnistData.FindIdxFiles(_idx.Dir));
        string message = FashionMnistData.MissingMessage(_idx.Dir);
        Assert.Contains(_idx.Dir, message, StringComparison.Ordinal);
        Assert.Contains("apt-get install dataset-fashion-mnist", message, StringComparison.Ordinal);
        Assert.Contains("--data DIR", message, StringComparison.Ordinal);
        Assert.Contains("t10k-images-idx3-ubyte.gz", message, StringComparison.Ordinal);
    }
}
