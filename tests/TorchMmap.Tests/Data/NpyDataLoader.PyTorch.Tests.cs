using System.Text.Json;
using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>The same run in Python and .NET sees the same batches: checked against real PyTorch reading the same files.</summary>
[Trait("Requires", "python")]
public sealed class NpyDataLoaderPyTorchTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private sealed record Reference(long[][][] Shuffled, double[][][] Features, long[][] Ranked, long[][] Split);

    [Fact]
    public void Enumerate_SameSettingsAsPyTorch_GivesPyTorchsBatches()
    {
        Dictionary<string, string> paths = _files.WriteMixed(100);
        string script = $$"""
            import json
            import numpy as np
            from torch.utils.data import DataLoader, DistributedSampler, TensorDataset, random_split
            feature = torch.from_numpy(np.load({{JsonSerializer.Serialize(paths["feature"])}}))
            label = torch.from_numpy(np.load({{JsonSerializer.Serialize(paths["label"])}}))
            ds = TensorDataset(feature, label)
            sampler = DistributedSampler(ds, num_replicas=1, rank=0, shuffle=True, seed=17)
            loader = DataLoader(ds, batch_size=16, sampler=sampler)
            shuffled, features = [], []
            for epoch in range(2):
                sampler.set_epoch(epoch)
                batches = list(loader)
                shuffled.append([y.tolist() for _, y in batches])
                features.append([x.flatten().tolist() for x, _ in batches])
            ranked_sampler = DistributedSampler(ds, num_replicas=3, rank=1, shuffle=True, seed=5, drop_last=True)
            ranked_sampler.set_epoch(4)
            ranked = [y.tolist() for _, y in DataLoader(ds, batch_size=8, sampler=ranked_sampler, drop_last=True)]
            parts = random_split(range(100), [70, 30], generator=torch.Generator().manual_seed(9))
            print(json.dumps({"Shuffled": shuffled, "Features": features, "Ranked": ranked, "Split": [list(p.indices) for p in parts]}))
            """;
        Reference reference = TorchReference.RunJson<Reference>(script);

        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var loader = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 17, num_workers: 2);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            int k = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                Assert.Equal(reference.Shuffled[epoch][k], batch["label"].data<long>().ToArray());
                Assert.Equal(reference.Features[epoch][k], batch["feature"].data<float>().ToArray().Select(v => (double)v));
                k++;
            }
            Assert.Equal(reference.Shuffled[epoch].Length, k);
        }

        var sampler = new DistributedSampler(100, num_replicas: 3, rank: 1, shuffle: true, seed: 5, drop_last: true);
        using var ranked = new NpyDataLoader(dataset, batchSize: 8, sampler: sampler, drop_last: true);
        ranked.SetEpoch(4);
        Assert.Equal(reference.Ranked, LoaderAssert.Labels(ranked));

        Subset[] split = Subset.RandomSplit(dataset, [70L, 30L], seed: 9);
        Assert.Equal(reference.Split, split.Select(s => s.Indices.ToArray()));
    }

    [Theory]
    [InlineData(100, 16, false, 17, 0)]
    [InlineData(37, 8, true, 3, 2)]
    [InlineData(10, 4, false, -5, 0)]
    public void Enumerate_GeneratorRandomSampler_GivesPyTorchDataLoaderShuffleWithASeededGenerator(int rows, int batchSize, bool dropLast, long seed, int pythonWorkers)
    {
        (string x, string y) = _files.Write(rows);
        string script = $$"""
            import json
            import numpy as np
            from torch.utils.data import DataLoader, TensorDataset
            label = torch.from_numpy(np.load({{JsonSerializer.Serialize(y)}}))
            loader = DataLoader(TensorDataset(label), batch_size={{batchSize}}, shuffle=True, drop_last={{(dropLast ? "True" : "False")}},
                                num_workers={{pythonWorkers}}, generator=torch.Generator().manual_seed({{seed}}))
            print(json.dumps([[b[0].tolist() for b in loader] for epoch in range(4)]))
            """;
        long[][][] reference = TorchReference.RunJson<long[][][]>(script);

        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, batchSize, drop_last: dropLast, sampler: new GeneratorRandomSampler(rows, seed), num_workers: 2);
        for (int epoch = 0; epoch < 4; epoch++)
            Assert.Equal(reference[epoch], LoaderAssert.Labels(loader));

        // Any epoch on its own, as after a resume: computed from the seed, not from the epochs before it.
        var fresh = new GeneratorRandomSampler(rows, seed);
        fresh.SetEpoch(3);
        Assert.Equal(reference[3].SelectMany(b => b).Take(fresh.GetIndices().Length), fresh.GetIndices().Take(reference[3].Sum(b => b.Length)));
    }
}
