using System.Diagnostics;
using System.Globalization;
using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Reliability;

/// <summary>
/// The hidden <c>two-threads DIR SECONDS</c> command: two threads enumerate one loader (which owns its batches, with two
/// workers) at the same time, over and over, reading every batch, some leaving epochs early. Misuse the loader must refuse
/// with <see cref="InvalidOperationException"/>; a crash here would kill the process, so tests run it as a child.
/// Prints "refused completed wrong other".
/// </summary>
public static class TwoThreads
{
    /// <summary>Runs the race for <paramref name="seconds"/> seconds over a dataset written to <paramref name="dir"/>.</summary>
    /// <param name="dir">An empty folder for the data files.</param>
    /// <param name="seconds">How long both threads run.</param>
    /// <returns>0 when every outcome was an epoch read correctly or a refusal; 1 otherwise.</returns>
    public static int Run(string dir, string seconds)
    {
        const int Rows = 2048;
        string x = Path.Combine(dir, "x.npy"), y = Path.Combine(dir, "y.npy");
        using (Tensor images = torch.arange(Rows * 64, dtype: ScalarType.Int32).reshape(Rows, 64))
            Npy.Save(x, images);
        using (Tensor labels = torch.arange(Rows, dtype: ScalarType.Int64))
            Npy.Save(y, labels);
        using NpyMmapDataset dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, batchSize: 32, shuffle: true, num_workers: 2, prefetch_factor: 2);
        TimeSpan duration = TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture));
        long refused = 0, completed = 0, wrong = 0, other = 0;
        void Loop(int thread)
        {
            var clock = Stopwatch.StartNew();
            var random = new Random(thread);
            while (clock.Elapsed < duration)
            {
                try
                {
                    int stopAt = random.Next(2) == 0 ? int.MaxValue : random.Next(1, 64);
                    int k = 0;
                    foreach (Dictionary<string, Tensor> batch in loader)
                    {
                        using DisposeScope scope = torch.NewDisposeScope();
                        // Row i holds 64i .. 64i + 63: a batch read after its memory was reused or freed would not.
                        Tensor expected = batch["label"].unsqueeze(1) * 64 + torch.arange(64, dtype: ScalarType.Int64);
                        if (!batch["x"].to_type(ScalarType.Int64).eq(expected).all().item<bool>())
                            Interlocked.Increment(ref wrong);
                        if (++k == stopAt)
                        {
                            foreach (Tensor t in batch.Values)
                                t.Dispose();
                            break;
                        }
                    }
                    Interlocked.Increment(ref completed);
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (Exception ex)
                {
                    Console.Error.WriteLine(ex);
                    Interlocked.Increment(ref other);
                }
            }
        }
        var threads = new[] { new Thread(() => Loop(1)), new Thread(() => Loop(2)) };
        foreach (Thread t in threads)
            t.Start();
        foreach (Thread t in threads)
            t.Join();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{refused} {completed} {wrong} {other}"));
        return wrong == 0 && other == 0 ? 0 : 1;
    }
}
