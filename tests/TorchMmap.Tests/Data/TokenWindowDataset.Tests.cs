using System.Runtime.InteropServices;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class TokenWindowDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-windows-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Shards of raw little-endian uint32 tokens whose value is their position in the whole stream, so every window is checkable.
    private TokenStream Positions(params int[] sizes)
    {
        var paths = new List<string>();
        uint next = 0;
        foreach (int size in sizes)
        {
            uint[] tokens = Enumerable.Range(0, size).Select(i => next + (uint)i).ToArray();
            next += (uint)size;
            string path = Path.Combine(_dir, $"shard{paths.Count}.bin");
            File.WriteAllBytes(path, MemoryMarshal.AsBytes(tokens.AsSpan()).ToArray());
            paths.Add(path);
        }
        return TokenStream.Open(TokenFileFormat.Raw, paths, "<u4");
    }

    private static long[] Range(long start, int count) => Enumerable.Range(0, count).Select(i => start + i).ToArray();

    private static void AssertWindows(Dictionary<string, Tensor> batch, IEnumerable<long> starts, int t)
    {
        long[] s = starts.ToArray();
        Assert.Equal(new long[] { s.Length, t }, batch["x"].shape);
        Assert.Equal(new long[] { s.Length, t }, batch["y"].shape);
        Assert.Equal(ScalarType.Int64, batch["x"].dtype);
        long[] x = batch["x"].data<long>().ToArray();
        long[] y = batch["y"].data<long>().ToArray();
        for (int r = 0; r < s.Length; r++)
        {
            Assert.Equal(Range(s[r], t), x[(r * t)..((r + 1) * t)]);
            Assert.Equal(Range(s[r] + 1, t), y[(r * t)..((r + 1) * t)]);
        }
    }

    [Theory]
    [InlineData(100, 10, null, 9)]     // stride T: (N - 1) / T windows
    [InlineData(101, 10, null, 10)]    // the last window ends exactly at the last token
    [InlineData(100, 10, 1L, 90)]      // every offset: N - T (nanoGPT's randint range)
    [InlineData(100, 10, 7L, 13)]      // starts 0, 7, ..., 84: 84 + 10 + 1 <= 100, 91 + 11 > 100
    [InlineData(11, 10, null, 1)]
    public void Count_IsEveryStartWhoseTargetsFit(int tokens, int t, long? stride, long expected)
    {
        using TokenStream stream = Positions(tokens);
        using var windows = new TokenWindowDataset(stream, t, stride);
        Assert.Equal(expected, windows.Count);
        // The last window is correct and its targets reach at most the last token.
        using var d = DisposeScope();
        Dictionary<string, Tensor> last = windows.GetBatch([windows.Count - 1]);
        AssertWindows(last, [windows.StartOf(windows.Count - 1)], t);
        Assert.True(windows.StartOf(windows.Count - 1) + t + 1 <= tokens);
        Assert.True(windows.StartOf(windows.Count) + t + 1 > tokens);
    }

    [Fact]
    public void HintsByDefault_TokenShards_CountEveryShardsBytes()
    {
        // 10 + 1 + 3 + 40 uint32 tokens in four headerless shards: 216 bytes of mapped data.
        using TokenStream stream = Positions(10, 1, 3, 40);
        using var windows = new TokenWindowDataset(stream, 8);

        Assert.True(NpyDataLoader.HintsByDefault(windows, memoryBytes: 215));
        Assert.False(NpyDataLoader.HintsByDefault(windows, memoryBytes: 216));
    }

    [Fact]
    public void Constructor_TooFewTokensForOneWindow_Throws()
    {
        using TokenStream stream = Positions(10);
        Assert.Throws<ArgumentException>(() => new TokenWindowDataset(stream, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenWindowDataset(stream, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenWindowDataset(stream, 3, stride: 0));
    }

    [Fact]
    public void GetBatch_WindowsAcrossShardBoundaries_ReadCorrectly()
    {
        // Shards of 10, 1, 0-free, 3 and 40 tokens: windows of 8 cross one, two or three boundaries.
        using TokenStream stream = Positions(10, 1, 3, 40);
        using var windows = new TokenWindowDataset(stream, 8, stride: 1);
        using var d = DisposeScope();
        long[] indices = [0, 3, 5, 9, 10, 13, 45, 2, 2];
        AssertWindows(windows.GetBatch(indices), indices, 8);
    }

    [Fact]
    public void GetTensor_OneWindow_IsOneDimensional()
    {
        using TokenStream stream = Positions(50);
        using var windows = new TokenWindowDataset(stream, 5, stride: 3);
        using var d = DisposeScope();
        Dictionary<string, Tensor> sample = windows.GetTensor(4);
        Assert.Equal(Range(12, 5), sample["x"].data<long>().ToArray());
        Assert.Equal(Range(13, 5), sample["y"].data<long>().ToArray());
    }

    [Fact]
    public void GetBatch_IndexOutOfRange_Throws()
    {
        using TokenStream stream = Positions(50);
        using var windows = new TokenWindowDataset(stream, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => windows.GetBatch([windows.Count]));
        Assert.Throws<ArgumentOutOfRangeException>(() => windows.GetBatch([-1]));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    public void Loader_ShuffledNonOverlappingWindows_AreTheSamplersOrder(int workers, bool pageHints)
    {
        using TokenStream stream = Positions(300, 77, 500);
        using var windows = new TokenWindowDataset(stream, 16) { CopyThreads = 2 };
        using var loader = new NpyDataLoader(windows, batchSize: 5, shuffle: true, seed: 9, num_workers: workers, pageHints: pageHints);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            long[] order = TorchMmap.Tests.Data.LoaderAssert.RandPerm(windows.Count, 9 + epoch);
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                AssertWindows(batch, order.Skip(k * 5).Take(5).Select(i => i * 16), 16);
                k++;
            }
            Assert.Equal((windows.Count + 4) / 5, k);
        }
    }

    [Fact]
    public void Loader_DistributedSampler_EachRankGetsItsShare()
    {
        using TokenStream stream = Positions(1000);
        using var windows = new TokenWindowDataset(stream, 10, stride: 5);
        var seen = new List<long>();
        for (int rank = 0; rank < 3; rank++)
        {
            var sampler = new DistributedSampler(windows.Count, num_replicas: 3, rank: rank, seed: 2, drop_last: true);
            using var loader = new NpyDataLoader(windows, 4, sampler: sampler, num_workers: 1);
            long[] expected = sampler.GetIndices();
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                AssertWindows(batch, expected.Skip(k * 4).Take(4).Select(i => i * 5), 10);
                k++;
            }
            seen.AddRange(expected);
        }
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void LoadStateDict_ShuffledWindows_ResumesWithTheExactNextBatch(int workers)
    {
        using TokenStream stream = Positions(2000);
        using var windows = new TokenWindowDataset(stream, 12);
        NpyDataLoader Make() => new(windows, batchSize: 7, shuffle: true, seed: 5, num_workers: workers);
        using NpyDataLoader whole = Make();
        List<long[]> epoch0 = Starts(whole), epoch1 = Starts(whole);

        NpyLoaderState state;
        using (NpyDataLoader first = Make())
        {
            _ = Starts(first);
            using IEnumerator<Dictionary<string, Tensor>> e = first.GetEnumerator();
            for (int k = 0; k < 4; k++)
                Assert.True(e.MoveNext());
            state = NpyLoaderState.FromJson(first.state_dict().ToJson());
        }
        using NpyDataLoader resumed = Make();
        resumed.load_state_dict(state);
        Assert.Equal(epoch1.Skip(4), Starts(resumed));
        Assert.NotEqual(epoch0, epoch1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void LoadStateDict_RandIntOrder_ResumesWithTheExactNextBatch(int workers)
    {
        using TokenStream stream = Positions(5000);
        using var windows = new TokenWindowDataset(stream, 32, stride: 1);
        NpyDataLoader Make() => new(windows, batchSize: 4, sampler: new RandIntSampler(windows.Count, num_samples: 40, seed: 1337), num_workers: workers);
        using NpyDataLoader whole = Make();
        List<long[]> expected = [.. Starts(whole), .. Starts(whole), .. Starts(whole)];

        NpyLoaderState state;
        using (NpyDataLoader first = Make())
        {
            _ = Starts(first);
            using IEnumerator<Dictionary<string, Tensor>> e = first.GetEnumerator();
            for (int k = 0; k < 3; k++)
                Assert.True(e.MoveNext());
            state = first.state_dict();
        }
        Assert.Equal(1, state.Epoch);
        Assert.Equal(3 * 4, state.Position);
        using NpyDataLoader resumed = Make();
        resumed.load_state_dict(state);
        Assert.Equal(expected.Skip(13).Take(7), Starts(resumed));
        Assert.Equal(expected.Skip(20), Starts(resumed));
    }

    [Fact]
    public void LoadStateDict_OtherStrideOrOtherTokens_IsRefused()
    {
        using TokenStream stream = Positions(3000);
        using var windows = new TokenWindowDataset(stream, 12);
        using var loader = new NpyDataLoader(windows, 4, shuffle: true, seed: 1, num_workers: 0);
        using (IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator())
            Assert.True(e.MoveNext());
        NpyLoaderState state = loader.state_dict();

        using var strided = new TokenWindowDataset(stream, 12, stride: 13);
        using var other = new NpyDataLoader(strided, 4, shuffle: true, seed: 1, num_workers: 0);
        Assert.Throws<ArgumentException>(() => other.load_state_dict(state));
    }

    // The start of each window of each batch of one epoch (x[:, 0] is the start, since tokens are positions).
    private static List<long[]> Starts(NpyDataLoader loader)
    {
        var starts = new List<long[]>();
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            using Tensor first = batch["x"].select(1, 0).clone();
            long[] y0 = batch["y"].select(1, 0).data<long>().ToArray();
            long[] s = first.data<long>().ToArray();
            Assert.Equal(s.Select(v => v + 1), y0);
            starts.Add(s);
        }
        return starts;
    }

    private static IDisposable DisposeScope() => TorchSharp.torch.NewDisposeScope();
}
