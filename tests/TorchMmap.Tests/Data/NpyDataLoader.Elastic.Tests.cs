using CsCheck;
using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>Checkpoints taken with W replicas resumed with W' replicas of the same global batch size.</summary>
public sealed class NpyDataLoaderElasticTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string> Kinds() => ["feistel", "distributed", "block", "sequential"];

    private static Sampler MakeSampler(string kind, long rows, int world, int rank) => kind switch
    {
        "feistel" => new FeistelSampler(rows, seed: 17, num_replicas: world, rank: rank),
        "distributed" => new DistributedSampler(rows, num_replicas: world, rank: rank, seed: 17),
        "block" => new BlockShuffleSampler(rows, blockRows: 7, windowBlocks: 3, seed: 17, num_replicas: world, rank: rank),
        _ => new DistributedSampler(rows, num_replicas: world, rank: rank, shuffle: false),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LoadStateDict_WorldSizes1To2To3To4To1_SeeEveryEpochSampleOnceInTheUninterruptedOrder(string kind)
    {
        // Global batch 12 = 12 x 1 = 6 x 2 = 4 x 3 = 3 x 4; 100 rows: 8 full steps and a short one per epoch.
        const long Rows = 100;
        (string x, string y) = _files.Write(Rows);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        (int World, int Steps)[] phases = [(1, 3), (2, 2), (3, 3), (4, 4), (1, 3), (2, 5)];
        List<long>[] seen = RunPhases(dataset, kind, Rows, globalBatch: 12, phases);

        for (int epoch = 0; epoch < seen.Length; epoch++)
        {
            Sampler single = MakeSampler(kind, Rows, 1, 0);
            single.SetEpoch(epoch);
            long[] uninterrupted = single.GetIndices();
            List<long> global = seen[epoch];
            if (global.Count == 0)
                continue;
            // Every position the run reached holds the uninterrupted order's row; a finished epoch has all of them.
            Assert.Equal(uninterrupted.Take(global.Count), global.Take((int)Math.Min(global.Count, Rows)));
            if (epoch < seen.Length - 1)
                Assert.Equal(Rows, global.Take((int)Rows).Distinct().Count());
        }
    }

    [Fact]
    public void LoadStateDict_RandomWorldChanges_NeverRepeatOrSkipASample() =>
        Gen.Select(Gen.Long[1, 120], Gen.Int[0, 3], Gen.Int[1, 4].Select(Gen.Int[1, 4]).Array[2, 5], Gen.Int[0, 3]).Sample((rows, batchPick, phaseSpec, kindPick) =>
        {
            int globalBatch = new[] { 12, 24, 36, 60 }[batchPick];
            string kind = new[] { "feistel", "distributed", "block", "sequential" }[kindPick];
            using var files = new DataFiles();
            (string x, string y) = files.Write(rows);
            using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
            List<long>[] seen = RunPhases(dataset, kind, rows, globalBatch, phaseSpec);
            for (int epoch = 0; epoch < seen.Length; epoch++)
            {
                Sampler single = MakeSampler(kind, rows, 1, 0);
                single.SetEpoch(epoch);
                long[] order = single.GetIndices();
                List<long> global = seen[epoch];
                int real = (int)Math.Min(global.Count, rows);
                Assert.Equal(order.Take(real), global.Take(real));
                // Anything past the rows is PyTorch's padding: the order again from its start.
                Assert.Equal(Enumerable.Range(0, global.Count - real).Select(p => order[p % rows]), global.Skip(real));
            }
        }, iter: 60);

    [Fact]
    public void StateDict_AllRanks_ReportTheSameGlobalPosition()
    {
        (string x, string y) = _files.Write(50);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        var states = new List<NpyLoaderState>();
        for (int rank = 0; rank < 3; rank++)
        {
            using var loader = new NpyDataLoader(dataset, 4, sampler: new FeistelSampler(50, seed: 1, num_replicas: 3, rank: rank), num_workers: 0);
            using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
            Assert.True(e.MoveNext() && e.MoveNext());
            states.Add(loader.state_dict());
        }
        Assert.All(states, s => Assert.Equal(states[0], s));
        Assert.Equal(2 * 4 * 3, states[0].Position);
        Assert.Equal(12, states[0].GlobalBatchSize);
    }

    // Runs phases of (world size, global steps): each phase loads the previous state into `world` loaders, takes `steps`
    // steps on every rank (moving on to the next epoch when one ends) and checkpoints from rank 0. Returns, per epoch, the
    // global order seen: step by step, row j of every rank's batch in rank order, which is position start + j*world + r.
    private static List<long>[] RunPhases(NpyMmapDataset dataset, string kind, long rows, int globalBatch, (int World, int Steps)[] phases)
    {
        var seen = new List<List<long>> { new() };
        NpyLoaderState? state = null;
        foreach ((int world, int steps) in phases)
        {
            int batch = globalBatch / world;
            var loaders = Enumerable.Range(0, world).Select(r => new NpyDataLoader(dataset, batch, sampler: MakeSampler(kind, rows, world, r), num_workers: r % 2)).ToArray();
            try
            {
                if (state is not null)
                {
                    foreach (NpyDataLoader loader in loaders)
                        loader.load_state_dict(state);
                }
                var enumerators = loaders.Select(l => l.GetEnumerator()).ToArray();
                for (int step = 0; step < steps; step++)
                {
                    var batches = new long[world][];
                    for (int r = 0; r < world; r++)
                    {
                        if (!enumerators[r].MoveNext())
                        {
                            // The epoch ended on every rank together (equal shares): start the next one.
                            Assert.Equal(0, r);
                            for (int q = 0; q < world; q++)
                            {
                                enumerators[q].Dispose();
                                enumerators[q] = loaders[q].GetEnumerator();
                            }
                            seen.Add([]);
                            Assert.True(enumerators[r].MoveNext());
                        }
                        batches[r] = enumerators[r].Current["label"].data<long>().ToArray();
                    }
                    Assert.All(batches, b => Assert.Equal(batches[0].Length, b.Length));
                    for (int j = 0; j < batches[0].Length; j++)
                    {
                        for (int r = 0; r < world; r++)
                            seen[^1].Add(batches[r][j]);
                    }
                }
                NpyLoaderState[] states = loaders.Select(l => l.state_dict()).ToArray();
                Assert.All(states, s => Assert.Equal(states[0], s));
                state = NpyLoaderState.FromJson(states[0].ToJson());
                if (state.Position == 0 && seen[^1].Count > 0)
                    seen.Add([]);
                foreach (IEnumerator<Dictionary<string, Tensor>> e in enumerators)
                    e.Dispose();
            }
            finally
            {
                foreach (NpyDataLoader loader in loaders)
                    loader.Dispose();
            }
        }
        return seen.ToArray();
    }
}
