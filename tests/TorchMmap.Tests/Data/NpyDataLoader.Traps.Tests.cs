using System.Diagnostics;
using System.Globalization;
using TorchMmap.Data;
using TorchMmap.Tests.TestUtilities;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>What a PyTorch user does with a loader and must not be punished for: keeping views, leaving early, peeking,
/// changing conversions mid-epoch, enumerating from two threads.</summary>
public sealed class NpyDataLoaderTrapsTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void KeptViews_NarrowAndToCpu_KeepTheirRowsWhileLaterBatchesAreMade(int workers)
    {
        (string x, string y) = _files.Write(64);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 4, num_workers: workers);
        Tensor? kept = null, keptLabels = null;
        long[] keptRows = [];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                long[] labels = batch["label"].data<long>().ToArray();
                // Every batch holds its own rows, whatever memory it was given.
                Assert.Equal(labels.SelectMany(i => Enumerable.Range(0, 6).Select(j => (int)(6 * i) + j)), batch["x"].data<int>().ToArray());
                if (kept is null)
                {
                    // PyTorch habits: a slice of the images and the labels "moved" to the CPU they are already on.
                    kept = batch["x"].narrow(0, 0, 4);
                    keptLabels = batch["label"].to(CPU);
                    keptRows = labels;
                }
            }
        }

        Assert.Equal(keptRows.Take(4).SelectMany(i => Enumerable.Range(0, 6).Select(j => (int)(6 * i) + j)), kept!.data<int>().ToArray());
        Assert.Equal(keptRows, keptLabels!.data<long>().ToArray());
        kept.Dispose();
        keptLabels.Dispose();
    }

    [Fact]
    public void First_Twice_GivesTwoEpochsFirstBatchesThatStayReadable()
    {
        (string x, string y) = _files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 1, num_workers: 2);

        Dictionary<string, Tensor> first = loader.First();
        Dictionary<string, Tensor> second = loader.First();

        // Each First() is a new iter(loader): epochs 0 and 1, whose orders are the seed + epoch permutations.
        Assert.Equal(LoaderAssert.RandPerm(40, 1).Take(8), first["label"].data<long>().ToArray());
        Assert.Equal(LoaderAssert.RandPerm(40, 2).Take(8), second["label"].data<long>().ToArray());
        Assert.Equal(first["label"].data<long>().ToArray().SelectMany(i => Enumerable.Range(0, 6).Select(j => (int)(6 * i) + j)), first["x"].data<int>().ToArray());
        foreach (Tensor t in first.Values.Concat(second.Values))
            t.Dispose();
    }

    [Fact]
    public void SetConversion_WhileWorkersRun_EachBatchIsEntirelyConvertedOrEntirelyRaw()
    {
        (string x, string y) = _files.Write(512);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 16, shuffle: true, num_workers: 2, prefetch_factor: 2);
        using var stop = new CancellationTokenSource();
        var conversion = BatchConversion.ToFloat32(scale: 0.5);
        using var toggling = new ManualResetEventSlim();
        // A thread of its own: on a loaded machine a thread-pool task may not start before the epochs end.
        var toggler = new Thread(() =>
        {
            for (long k = 0; !stop.IsCancellationRequested; k++)
            {
                dataset.SetConversion("x", k % 2 == 0 ? conversion : null);
                if (k == 1)
                    toggling.Set();
            }
        });
        toggler.Start();
        Assert.True(toggling.Wait(TimeSpan.FromSeconds(30)), "the toggling thread did not start");
        int raw = 0, converted = 0;
        try
        {
            // At least 20 epochs, and more (up to 500) until both kinds of batch have been seen.
            for (int epoch = 0; epoch < 500 && (epoch < 20 || raw == 0 || converted == 0); epoch++)
            {
                foreach (Dictionary<string, Tensor> batch in loader)
                {
                    long[] labels = batch["label"].data<long>().ToArray();
                    double[] expected = labels.SelectMany(i => Enumerable.Range(0, 6).Select(j => (double)((6 * i) + j))).ToArray();
                    Tensor images = batch["x"];
                    if (images.dtype == ScalarType.Int32)
                    {
                        raw++;
                        Assert.Equal(expected, images.data<int>().ToArray().Select(v => (double)v));
                    }
                    else
                    {
                        converted++;
                        Assert.Equal(expected.Select(v => v * 0.5), images.data<float>().ToArray().Select(v => (double)v));
                    }
                }
            }
        }
        finally
        {
            stop.Cancel();
            toggler.Join();
        }
        Assert.True(raw > 0 && converted > 0, $"{raw} raw and {converted} converted batches: the toggling did not overlap the epochs");
    }

    [Fact]
    public void GetEnumerator_OnAnotherThreadDuringAnEnumeration_ThrowsAndLeavesTheFirstIntact()
    {
        (string x, string y) = _files.Write(64);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, num_workers: 1);
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        Assert.True(e.MoveNext());

        Exception? caught = null;
        var other = new Thread(() =>
        {
            try
            {
                foreach (Dictionary<string, Tensor> batch in loader)
                {
                }
            }
            catch (Exception ex)
            {
                caught = ex;
            }
        });
        other.Start();
        other.Join();

        Assert.IsType<InvalidOperationException>(caught);
        var labels = new List<long>(e.Current["label"].data<long>().ToArray());
        while (e.MoveNext())
            labels.AddRange(e.Current["label"].data<long>().ToArray());
        Assert.Equal(Enumerable.Range(0, 64).Select(i => (long)i), labels);
    }

    [Fact]
    public void MoveNext_FromTwoThreadsAtOnce_TheSecondThrows()
    {
        (string x, string y) = _files.Write(32);
        using var inner = NpyMmapDataset.Open(("x", x), ("label", y));
        using var dataset = new GatedDataset(inner);
        using var loader = new NpyDataLoader(dataset, 8, num_workers: 0);
        using IEnumerator<Dictionary<string, Tensor>> e = loader.GetEnumerator();
        Task<bool> first = Task.Run(e.MoveNext);
        Assert.True(dataset.Entered.Wait(TimeSpan.FromSeconds(30)), "the first MoveNext never reached the dataset");

        Assert.Throws<InvalidOperationException>(() => e.MoveNext());

        dataset.Release.Set();
        Assert.True(first.Wait(TimeSpan.FromSeconds(30)) && first.Result);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), e.Current["label"].data<long>().ToArray());
    }

    [Fact]
    public void TwoThreadsEnumeratingOneLoader_ForSeconds_OnlyRefusalsNeverWrongDataOrACrash()
    {
        // In a child process: if the loader let the threads free each other's batches, the process could die.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(BuiltProgram.Reliability);
        start.ArgumentList.Add("two-threads");
        start.ArgumentList.Add(_files.Dir);
        start.ArgumentList.Add("3");
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> error = child.StandardError.ReadToEndAsync();
        Assert.True(child.WaitForExit(120_000), "the child hung");
        Assert.True(child.ExitCode == 0, $"exit code {child.ExitCode}: {error.Result}");
        long[] counts = output.Result.Trim().Split(' ').Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(counts[0] > 0, "no enumeration was refused: the threads never overlapped");
        Assert.True(counts[1] > 0, "no enumeration completed");
        Assert.Equal(0, counts[2]);
        Assert.Equal(0, counts[3]);
    }

    // GetBatch signals Entered and waits for Release, so a test can hold a MoveNext inside the dataset.
    private sealed class GatedDataset(IBatchDataset inner) : IBatchDataset, IDisposable
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public long Count => inner.Count;

        public IReadOnlyList<string> Names => inner.Names;

        public Dictionary<string, Tensor> GetBatch(ReadOnlySpan<long> indices)
        {
            Entered.Set();
            Release.Wait();
            return inner.GetBatch(indices);
        }

        public void Dispose()
        {
            Entered.Dispose();
            Release.Dispose();
        }
    }
}
