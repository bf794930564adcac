using TorchMmap.Data;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>The loader over samplers of 10^10 positions: no index array anywhere.</summary>
public sealed class NpyDataLoaderScaleTests
{
    private const long TenBillion = 10_000_000_000;

    public static TheoryData<string> Kinds() => ["feistel", "block", "sequential"];

    private static Sampler Make(string kind, int world = 1, int rank = 0) => kind switch
    {
        "feistel" => new FeistelSampler(TenBillion, seed: 5, num_replicas: world, rank: rank),
        "block" => new BlockShuffleSampler(TenBillion, blockRows: 65536, seed: 5, num_replicas: world, rank: rank),
        _ => new DistributedSampler(TenBillion, num_replicas: world, rank: rank, shuffle: false),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void GetEnumerator_TenBillionSamples_AllocatesUnderOneMebibyte(string kind)
    {
        // GetIndices would need 80 GB (and throws past Array.MaxLength): the loader must compute positions per batch.
        using var dataset = new IndexDataset(TenBillion);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Sampler sampler = Make(kind);
        using var loader = new NpyDataLoader(dataset, 1024, sampler: sampler, num_workers: 0);
        using (IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator())
        {
            Assert.True(e.MoveNext());
            long[] first = e.Current["index"].data<long>().ToArray();
            Assert.Equal(1024, first.Length);
            var expected = new long[1024];
            sampler.CopyOrder(0, 0, 1, expected);
            Assert.Equal(expected, first);
        }
        string json = loader.state_dict().ToJson();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
        Assert.True(json.Length < 4096, json);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LoadStateDict_NearTheEndOfTenBillion_ResumesThereOnEveryRank(string kind)
    {
        using var dataset = new IndexDataset(TenBillion);
        NpyLoaderState state;
        using (var loader = new NpyDataLoader(dataset, 1000, sampler: Make(kind, 2, 0), num_workers: 0))
            state = loader.state_dict() with { Epoch = 3, Position = TenBillion - 3000 };
        var global = new long[3000];
        Sampler single = Make(kind);
        single.CopyOrder(3, TenBillion - 3000, 1, global);
        for (int rank = 0; rank < 4; rank++)
        {
            using var loader = new NpyDataLoader(dataset, 500, sampler: Make(kind, 4, rank), num_workers: 1);
            loader.load_state_dict(state);
            List<long> seen = [];
            foreach (Dictionary<string, Tensor> batch in loader)
                seen.AddRange(batch["index"].data<long>().ToArray());
            Assert.Equal(global.Where((_, p) => p % 4 == rank), seen);
            Assert.Equal(4, loader.Epoch);
        }
    }

    /// <summary>A dataset of any length whose sample i is the value i: what the loader asks is what it returns.</summary>
    private sealed class IndexDataset(long count) : IBatchDataset, IDisposable
    {
        public long Count => count;

        public IReadOnlyList<string> Names => ["index"];

        public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices) =>
            new(StringComparer.Ordinal) { ["index"] = torch.tensor(indices.ToArray()) };

        public void Dispose()
        {
        }
    }
}
