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
    public void Plan_BatchSizeAndThreads_EachPartCopiesAtLeastTheMinimum(int rows, long bytes, int threads, int expected) =>
        Assert.Equal(new CopyPlan(expected, null), ParallelCopy.Plan(rows, bytes, threads));

    [Fact]
    public void Plan_Auto_UsesAtMostTheProcessorCount() =>
        Assert.Equal(Math.Min(Environment.ProcessorCount, 64), ParallelCopy.Plan(64, 64 * 64 * MiB, ParallelCopy.Auto).Parts);

    [Theory]
    // Auto with a board: a batch the cores would share is cut into 1 MiB parts for the board instead, an even number of
    // them (at most one per row): 9,633,792 bytes hold 9 whole MiB, rounded up to 10.
    [InlineData(64, 64 * 150528, ParallelCopy.Auto, 10)]
    [InlineData(64, 8 * MiB, ParallelCopy.Auto, 8)]
    [InlineData(3, 64 * MiB, ParallelCopy.Auto, 3)]
    public void Plan_AutoWithABoard_CutsSplitBatchesIntoAnEvenNumberOfMebibytePartsOnTheBoard(int rows, long bytes, int threads, int expected)
    {
        var help = new CopyHelp();
        Assert.Equal(new CopyPlan(expected, help), ParallelCopy.Plan(rows, bytes, threads, help));
    }

    [Theory]
    // A batch one thread copies stays whole, and threads asked for explicitly are thread-pool threads, board or not.
    [InlineData(256, 256 * 12288, ParallelCopy.Auto, 1)]
    [InlineData(64, 64 * 150528, 2, 2)]
    public void Plan_BoardNotUsable_PlansAsWithout(int rows, long bytes, int threads, int expected) =>
        Assert.Equal(new CopyPlan(expected, null), ParallelCopy.Plan(rows, bytes, threads, new CopyHelp()));

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
        Assert.Equal(3, ParallelCopy.Plan(indices.Length, indices.Length * 3L * 256 * 256, 4).Parts);

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
