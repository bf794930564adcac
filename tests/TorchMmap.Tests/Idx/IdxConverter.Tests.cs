using System.Buffers.Binary;
using TorchMmap.Format;
using TorchMmap.Idx;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Idx;

public sealed class IdxConverterTests : IDisposable
{
    private readonly IdxFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Convert_ImagesWithChannelAxisInSmallChunks_WritesTheSameBytesAsN1HW()
    {
        byte[] data = Enumerable.Range(0, 7 * 3 * 5).Select(i => (byte)(i * 13 + 1)).ToArray();
        string idx = _files.Write("img.gz", IdxFiles.UInt8(data, 7, 3, 5), gzip: true);
        string npy = _files.PathOf("sub/img.npy");
        var calls = new List<(long Done, long Total)>();

        NpyHeader header = IdxConverter.Convert(idx, npy, new IdxConversionOptions { InsertChannelAxis = true, ChunkBytes = 31 }, (d, t) => calls.Add((d, t)));

        Assert.Equal(new long[] { 7, 1, 3, 5 }, header.Shape);
        Assert.Equal(NpyDType.UInt8, header.DType);
        using NpyArray array = NpyArray.Open(npy);
        using Tensor all = array.ToTensor();
        Assert.Equal(data, all.data<byte>().ToArray());
        // 31 bytes hold two 15-byte rows: chunks of 2, 2, 2, 1, each reported, then the final count.
        Assert.Equal([(2L, 7L), (4, 7), (6, 7), (7, 7), (7, 7)], calls);
    }

    [Fact]
    public void Convert_LabelsWidened_WritesInt64Labels()
    {
        byte[] labels = [9, 0, 3, 255, 7];
        string idx = _files.Write("lab.idx", IdxFiles.UInt8(labels, 5));
        string npy = _files.PathOf("lab.npy");

        IdxConverter.Convert(idx, npy, new IdxConversionOptions { WidenLabelsToInt64 = true });

        using Tensor loaded = Npy.Load(npy);
        Assert.Equal(ScalarType.Int64, loaded.dtype);
        Assert.Equal(labels.Select(b => (long)b).ToArray(), loaded.data<long>().ToArray());
    }

    [Fact]
    public void Convert_DefaultOptions_KeepsShapeAndType()
    {
        int[] values = [-1, 2, 300000, 4];
        byte[] data = new byte[16];
        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4 * i), values[i]);
        string idx = _files.Write("i.idx", [.. IdxFiles.Header(0x0C, 2, 2), .. data]);
        string npy = _files.PathOf("i.npy");

        NpyHeader header = IdxConverter.Convert(idx, npy);

        Assert.Equal(new long[] { 2, 2 }, header.Shape);
        using Tensor loaded = Npy.Load(npy);
        Assert.Equal(values, loaded.data<int>().ToArray());
    }

    [Fact]
    public void Convert_TruncatedIdx_ThrowsNamingItAndLeavesNoOutput()
    {
        string idx = _files.Write("short.gz", IdxFiles.UInt8(new byte[10], 4, 4), gzip: true);
        string npy = _files.PathOf("short.npy");

        var e = Assert.Throws<InvalidDataException>(() => IdxConverter.Convert(idx, npy));

        Assert.Contains(idx, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(npy));
        Assert.Single(Directory.GetFiles(_files.Dir));
    }

    [Trait("Requires", "python")]
    [Fact]
    public void Convert_GzipImagesAndLabels_NumPyReadsTheSameValuesFromTheIdxBytes()
    {
        // NumPy parses the IDX bytes on its own (gzip, skip the header, reshape) and compares with np.load of our output.
        var random = new Random(5);
        byte[] pixels = new byte[20 * 28 * 28];
        random.NextBytes(pixels);
        byte[] labels = Enumerable.Range(0, 20).Select(_ => (byte)random.Next(10)).ToArray();
        string images = _files.Write("train-images-idx3-ubyte.gz", IdxFiles.UInt8(pixels, 20, 28, 28), gzip: true);
        string labelIdx = _files.Write("train-labels-idx1-ubyte.gz", IdxFiles.UInt8(labels, 20), gzip: true);
        string x = _files.PathOf("x.npy"), y = _files.PathOf("y.npy");
        IdxConverter.Convert(images, x, new IdxConversionOptions { InsertChannelAxis = true });
        IdxConverter.Convert(labelIdx, y, new IdxConversionOptions { WidenLabelsToInt64 = true });

        string output = TorchReference.Run($"""
            import gzip, numpy as np
            raw = np.frombuffer(gzip.open('{images}').read()[16:], np.uint8).reshape(20, 1, 28, 28)
            lab = np.frombuffer(gzip.open('{labelIdx}').read()[8:], np.uint8)
            a, b = np.load('{x}'), np.load('{y}')
            print(a.dtype, a.shape, bool((a == raw).all()), b.dtype, b.shape, bool((b == lab).all()))
            """).Trim();

        Assert.Equal("uint8 (20, 1, 28, 28) True int64 (20,) True", output);
    }
}
