using TorchMmap.Data;
using TorchMmap.Internal;
using TorchMmap.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Internal;

public sealed class ParallelCopyTests
{
    private const long MiB = 1L << 20;

    [Theory]
    // An MNIST batch (256 x 784 bytes) and a CIFAR one (256 x 12 KiB): under 2 x 2 MiB, one thread.
    [InlineData(256, 256 * 784, ParallelCopy.Auto, 1)]
    [InlineData(256, 256 * 12288, ParallelCopy.Auto, 1)]
    // An ImageNet batch (64 x 147 KiB = 9.2 MiB): two threads of at least 2 MiB each.
    [InlineData(64, 64 * 150528, 2, 2)]
    [InlineData(64, 64 * 150528, 8, 4)]
    // Never more parts than rows, never more than asked for, never fewer than one.
    [InlineData(2, 64 * MiB, 8, 2)]
    [InlineData(64, 64 * MiB, 1, 1)]
    [InlineData(0, 0, ParallelCopy.Auto, 1)]
    public void Parts_BatchSizeAndThreads_EachPartCopiesAtLeastTheMinimum(int rows, long bytes, int threads, int expected) =>
        Assert.Equal(expected, ParallelCopy.Parts(rows, bytes, threads));

    [Fact]
    public void Parts_Auto_UsesAtMostTheProcessorCount() =>
        Assert.Equal(Math.Min(Environment.ProcessorCount, 64), ParallelCopy.Parts(64, 64 * 64 * MiB, ParallelCopy.Auto));

    [Fact]
    public void GetBatch_BatchSplitOverThreads_GivesTheRowsOfASingleThreadCopy()
    {
        // 3 x 256 x 256 uint8 rows (192 KiB each): a batch of 40 rows is 7.5 MiB, so 3 parts of at least 2 MiB.
        using var files = new DataFiles();
        string path = files.PathOf("big.npy");
        using (Tensor rows = torch.arange(60L * 3 * 256 * 256, dtype: ScalarType.Int64).remainder(253).to_type(ScalarType.Byte).reshape(60, 3, 256, 256))
            Npy.Save(path, rows);
        using var dataset = NpyMmapDataset.Open(("x", path));
        long[] indices = [.. Enumerable.Range(0, 40).Select(i => (long)(i * 37 % 60))];
        Assert.Equal(3, ParallelCopy.Parts(indices.Length, indices.Length * 3L * 256 * 256, 4));

        dataset.CopyThreads = 1;
        Dictionary<string, Tensor> one = dataset.GetBatch(indices);
        dataset.CopyThreads = 4;
        Dictionary<string, Tensor> split = dataset.GetBatch(indices);

        using Tensor all = Npy.Load(path);
        using Tensor picked = torch.tensor(indices);
        using Tensor expected = all.index_select(0, picked);
        byte[] want = expected.data<byte>().ToArray();
        Assert.True(want.AsSpan().SequenceEqual(one["x"].data<byte>().ToArray()), "The single-thread copy differs from index_select.");
        Assert.True(want.AsSpan().SequenceEqual(split["x"].data<byte>().ToArray()), "The split copy differs from index_select.");
        foreach (Tensor t in one.Values.Concat(split.Values))
            t.Dispose();
    }
}
