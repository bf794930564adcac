using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class NpyDataLoaderDistributedTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<int, bool> WorldSizes()
    {
        var data = new TheoryData<int, bool>();
        for (int world = 1; world <= 4; world++)
        {
            data.Add(world, false);
            data.Add(world, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(WorldSizes))]
    public void Enumerate_AllRanks_CoverEveryIndexOncePlusPyTorchPadding(int world, bool dropLast)
    {
        const long Rows = 103;
        const int BatchSize = 8, Seed = 21, Epoch = 2;
        Dictionary<string, string> paths = _files.WriteMixed(Rows);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);

        // PyTorch's rule: randperm(n) seeded by seed + epoch, padded by wrapping to a multiple of the world size (or cut
        // to one with drop_last), then rank r takes positions r, r + world, r + 2*world, ...
        long[] perm = LoaderAssert.RandPerm(Rows, Seed + Epoch);
        long perRank = dropLast ? Rows / world : (Rows + world - 1) / world;
        long total = perRank * world;
        long[] padded = Enumerable.Range(0, (int)total).Select(p => perm[p % Rows]).ToArray();

        var all = new List<long>();
        for (int rank = 0; rank < world; rank++)
        {
            var sampler = new DistributedSampler(Rows, num_replicas: world, rank: rank, shuffle: true, seed: Seed, drop_last: dropLast);
            using var loader = new NpyDataLoader(dataset, BatchSize, sampler: sampler, num_workers: rank % 2 + 1);
            loader.SetEpoch(Epoch);
            long[] expected = padded.Where((_, p) => p % world == rank).ToArray();
            Assert.Equal(perRank, expected.Length);
            LoaderAssert.Epoch(loader, reference, expected, BatchSize, dropLast: false);
            all.AddRange(expected);
        }

        Assert.Equal(total, all.Count);
        if (dropLast)
        {
            Assert.Equal(all.Count, all.Distinct().Count());
            Assert.Equal(perm.Take((int)total).Order(), all.Order());
        }
        else
        {
            // Every index once, and the padding is the first (total - n) indices of the permutation once more.
            Assert.Equal(Enumerable.Range(0, (int)Rows).Select(i => (long)i).Concat(perm.Take((int)(total - Rows))).Order(), all.Order());
        }
    }

    [Fact]
    public void Enumerate_DistributedEpochs_FollowTheLoaderEpoch()
    {
        (string x, string y) = _files.Write(50);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        var sampler = new DistributedSampler(50, num_replicas: 2, rank: 1, seed: 3);
        using var loader = new NpyDataLoader(dataset, 10, sampler: sampler);
        long[] epoch0 = LoaderAssert.Labels(loader).SelectMany(b => b).ToArray();
        long[] epoch1 = LoaderAssert.Labels(loader).SelectMany(b => b).ToArray();
        Assert.Equal(LoaderAssert.RandPerm(50, 3).Where((_, p) => p % 2 == 1), epoch0);
        Assert.Equal(LoaderAssert.RandPerm(50, 4).Where((_, p) => p % 2 == 1), epoch1);
        Assert.Equal(2, loader.Epoch);
    }
}
