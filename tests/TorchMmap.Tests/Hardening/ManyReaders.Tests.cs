using TorchMmap.Data;
using TorchMmap.Tests.Data;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Hardening;

/// <summary>Eight loaders over the same files on parallel threads, every batch verified.</summary>
public sealed class ManyReadersTests : IDisposable
{
    private const int Rows = 3000;
    private readonly DataFiles _files = new();

    [Fact]
    public void Loaders_EightInParallelOverTheSameFiles_EveryBatchIsExact()
    {
        (string x, string y) = _files.Write(Rows);
        // Half the loaders share one dataset (one mapping), half open their own mappings of the same files.
        using var shared = NpyMmapDataset.Open(("x", x), ("y", y));
        var errors = new Exception?[8];
        var batches = new long[8];
        // Dedicated threads, so all eight loaders really run at once (the thread pool would start them gradually).
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            try
            {
                NpyMmapDataset dataset = i % 2 == 0 ? shared : NpyMmapDataset.Open(("x", x), ("y", y));
                using var loader = new NpyDataLoader(dataset, 37 + i, shuffle: true, seed: i, num_workers: 1 + i % 2, disposeDataset: i % 2 == 1);
                for (int epoch = 0; epoch < 2; epoch++)
                {
                    var seen = new HashSet<long>();
                    foreach (Dictionary<string, Tensor> batch in loader)
                    {
                        long[] labels = batch["y"].data<long>().ToArray();
                        DataFiles.AssertRows(batch, labels);
                        foreach (long label in labels)
                            Assert.True(seen.Add(label));
                        batches[i]++;
                    }
                    Assert.Equal(Rows, seen.Count);
                }
            }
            catch (Exception ex)
            {
                errors[i] = ex;
            }
        })).ToArray();
        foreach (Thread t in threads)
            t.Start();
        foreach (Thread t in threads)
            Assert.True(t.Join(TimeSpan.FromMinutes(2)));

        Assert.All(errors, Assert.Null);
        for (int i = 0; i < 8; i++)
            Assert.Equal(2 * ((Rows + 36 + i) / (37 + i)), batches[i]);
    }

    public void Dispose() => _files.Dispose();
}
