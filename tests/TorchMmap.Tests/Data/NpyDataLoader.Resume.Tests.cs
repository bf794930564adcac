using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class NpyDataLoaderResumeTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static List<long[]> Take(IEnumerator<Dictionary<string, Tensor>> e, int count)
    {
        var taken = new List<long[]>();
        for (int k = 0; k < count; k++)
        {
            Assert.True(e.MoveNext());
            taken.Add(e.Current["label"].data<long>().ToArray());
        }
        return taken;
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void LoadStateDict_MidEpoch_ContinuesWithTheIdenticalRemainingBatches(int workers, bool throughJson)
    {
        Dictionary<string, string> paths = _files.WriteMixed(170);
        using var dataset = NpyMmapDataset.Open(paths.Select(kv => (kv.Key, kv.Value)).ToArray());
        using var reference = new RowReference(paths);

        // The uninterrupted run: epochs 0, 1 and 2.
        using var whole = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 31, num_workers: workers);
        List<long[]>[] expected = [LoaderAssert.Labels(whole), LoaderAssert.Labels(whole), LoaderAssert.Labels(whole)];

        // The interrupted run: all of epoch 0, five batches of epoch 1, then a checkpoint while batch 5 is in hand.
        NpyLoaderState state;
        using (var first = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 31, num_workers: workers))
        {
            Assert.Equal(expected[0], LoaderAssert.Labels(first));
            using IEnumerator<Dictionary<string, Tensor>> e = first.GetEnumerator();
            Assert.Equal(expected[1].Take(5), Take(e, 5));
            state = first.state_dict();
        }
        Assert.Equal(1, state.Epoch);
        Assert.Equal(5 * 16, state.Position);
        if (throughJson)
            state = NpyLoaderState.FromJson(state.ToJson());

        using var resumed = new NpyDataLoader(dataset, batchSize: 16, shuffle: true, seed: 31, num_workers: workers);
        resumed.load_state_dict(state);
        Assert.Equal(5, resumed.BatchesConsumed);
        long[] order1 = LoaderAssert.RandPerm(170, 32);
        int k = 5;
        foreach (Dictionary<string, Tensor> batch in resumed)
        {
            Assert.Equal(expected[1][k], batch["label"].data<long>().ToArray());
            reference.AssertBatch(batch, order1.Skip(k * 16).Take(16).ToArray());
            k++;
        }
        Assert.Equal(expected[1].Count, k);
        Assert.Equal(2, resumed.Epoch);
        Assert.Equal(expected[2], LoaderAssert.Labels(resumed));
    }

    [Fact]
    public void LoadStateDict_DistributedSampler_ResumesThatRanksOrder()
    {
        (string x, string y) = _files.Write(90);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        NpyDataLoader Make() => new(dataset, 6, sampler: new DistributedSampler(90, num_replicas: 3, rank: 1, seed: 4), num_workers: 1);

        using NpyDataLoader whole = Make();
        whole.SetEpoch(3);
        List<long[]> expected = LoaderAssert.Labels(whole);

        string json;
        using (NpyDataLoader first = Make())
        {
            first.SetEpoch(3);
            using IEnumerator<Dictionary<string, Tensor>> e = first.GetEnumerator();
            Assert.Equal(expected.Take(2), Take(e, 2));
            json = first.state_dict().ToJson();
        }

        using NpyDataLoader resumed = Make();
        resumed.load_state_dict(NpyLoaderState.FromJson(json));
        Assert.Equal(expected.Skip(2), LoaderAssert.Labels(resumed));
    }

    [Fact]
    public void StateDict_AfterBreakingOutOfAnEpoch_ResumesAfterTheLastBatchTaken()
    {
        (string x, string y) = _files.Write(64);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 2);
        long[] order = LoaderAssert.RandPerm(64, 2);
        int k = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            if (++k == 3)
                break;
        }
        NpyLoaderState state = loader.state_dict();
        Assert.Equal(0, state.Epoch);
        Assert.Equal(24, state.Position);
        Assert.Equal(3, loader.BatchesConsumed);
        // Loading the state continues the epoch where it was left.
        loader.load_state_dict(state);
        Assert.Equal(order.Skip(24), LoaderAssert.Labels(loader).SelectMany(b => b));
        // A finished epoch leaves the state at the start of the next one.
        Assert.Equal(state with { Epoch = 1, Position = 0 }, loader.state_dict());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Enumerate_AfterBreakingOutOfAnEpoch_StartsTheNextEpochFromItsFirstBatch(int workers)
    {
        (string x, string y) = _files.Write(64);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 2, num_workers: workers);
        foreach (Dictionary<string, Tensor> batch in loader)
            break;
        Assert.Equal(1, loader.Epoch);

        // As a new iter(loader) in PyTorch: a whole epoch, the next one's order, no batch of the one left.
        Assert.Equal(LoaderAssert.RandPerm(64, 3), LoaderAssert.Labels(loader).SelectMany(b => b));
        Assert.Equal(2, loader.Epoch);
    }

    [Fact]
    public void StateDict_AfterTheLastBatchBeforeDispose_PointsAtTheNextEpoch()
    {
        (string x, string y) = _files.Write(20);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 6);
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        while (e.MoveNext())
        {
        }
        NpyLoaderState state = loader.state_dict();
        Assert.Equal(1, state.Epoch);
        Assert.Equal(0, state.Position);
    }

    [Fact]
    public void LoadStateDict_StateOfAnotherRun_Throws()
    {
        (string x, string y) = _files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 1);
        NpyLoaderState own = loader.state_dict() with { Position = 8 };
        loader.load_state_dict(own);
        Assert.Throws<ArgumentException>(() => loader.load_state_dict(own with { Order = new RandomSampler(40, seed: 2).OrderDescription }));
        Assert.Throws<ArgumentException>(() => loader.load_state_dict(own with { GlobalBatchSize = 4 }));
        Assert.Throws<ArgumentException>(() => loader.load_state_dict(own with { DropLast = true }));
        Assert.Throws<ArgumentException>(() => loader.load_state_dict(own with { Dataset = own.Dataset with { Count = 41 } }));
        Assert.Throws<ArgumentException>(() => loader.load_state_dict(own with { Position = 48 }));
        Assert.Throws<ArgumentException>(() => NpyLoaderState.FromJson("{ not json"));

        var distributed = new DistributedSampler(40, num_replicas: 2, rank: 0, seed: 5);
        using var other = new NpyDataLoader(dataset, 8, sampler: distributed);
        using var sameSeed = new NpyDataLoader(dataset, 8, sampler: new DistributedSampler(40, num_replicas: 2, rank: 0, seed: 5));
        sameSeed.load_state_dict(other.state_dict());
        using var otherSeed = new NpyDataLoader(dataset, 8, sampler: new DistributedSampler(40, num_replicas: 2, rank: 0, seed: 6));
        Assert.Throws<ArgumentException>(() => otherSeed.load_state_dict(other.state_dict()));
    }

    [Fact]
    public void LoadStateDict_UserSampler_ThrowsInvalidOperation()
    {
        (string x, string y) = _files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, sampler: new EnumerableSampler(Enumerable.Range(0, 40).Select(i => (long)i)));
        Assert.Throws<InvalidOperationException>(() => loader.load_state_dict(loader.state_dict()));
    }
}
