using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Reliability.Soak;

/// <summary>
/// Many epochs of <see cref="NpyDataLoader"/> with prefetch over an MNIST-sized dataset, every batch verified, measuring
/// resident memory and live tensors after each epoch. The <c>soak</c> command and the CI leak test both run this.
/// </summary>
public static class SoakRun
{
    /// <summary>Pixels per image (28 × 28).</summary>
    public const int Pixels = 28 * 28;

    /// <summary>Writes the dataset: image i has pixel j = (i + 7j) mod 251 (uint8), label i = i (int64).</summary>
    /// <param name="directory">Where to write x.npy and y.npy.</param>
    /// <param name="rows">The number of samples.</param>
    /// <returns>The two paths.</returns>
    public static (string Images, string Labels) WriteData(string directory, long rows)
    {
        string x = Path.Combine(directory, "x.npy"), y = Path.Combine(directory, "y.npy");
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor i = torch.arange(rows, dtype: ScalarType.Int64).reshape(rows, 1);
        Tensor j = torch.arange(Pixels, dtype: ScalarType.Int64).reshape(1, Pixels);
        Npy.Save(x, ((i + 7 * j) % 251).to(ScalarType.Byte).reshape(rows, 28, 28));
        Npy.Save(y, torch.arange(rows, dtype: ScalarType.Int64));
        return (x, y);
    }

    private static Tensor ExpectedImages()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor i = torch.arange(251, dtype: ScalarType.Int64).reshape(251, 1);
        Tensor j = torch.arange(Pixels, dtype: ScalarType.Int64).reshape(1, Pixels);
        return ((i + 7 * j) % 251).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>Runs the epochs, yielding the measurements after each.</summary>
    /// <param name="images">The images file.</param>
    /// <param name="labels">The labels file.</param>
    /// <param name="epochs">How many epochs.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="workers">Prefetch workers.</param>
    /// <param name="prefetch">Batches each worker keeps ready.</param>
    /// <returns>One measurement per epoch.</returns>
    /// <exception cref="InvalidDataException">A batch held wrong values.</exception>
    public static IEnumerable<EpochStats> Run(string images, string labels, int epochs, int batchSize = 256, int workers = 2, int prefetch = 4)
    {
        using NpyMmapDataset dataset = NpyMmapDataset.Open(("x", images), ("y", labels));
        using var loader = new NpyDataLoader(dataset, batchSize, shuffle: true, seed: 7, num_workers: workers, prefetch_factor: prefetch);
        long count = dataset.Count;
        using Tensor table = ExpectedImages();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            long batches = 0, liveMidEpoch = 0;
            var seen = new bool[count];
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                Verify(batch, table, seen);
                if (++batches == 10)
                    liveMidEpoch = torch.Tensor.TotalCount;
            }
            if (seen.Contains(false))
                throw new InvalidDataException($"Epoch {epoch} did not visit every sample.");
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            // Counted before collecting: a tensor the loader forgot to dispose is still counted until a finalizer frees it.
            long live = torch.Tensor.TotalCount;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            (long anon, long file) = ProcessMemory.Resident();
            ProcessMemory.TrimNativeHeap();
            (long trimmed, _) = ProcessMemory.Resident();
            yield return new EpochStats(epoch, batches, anon, trimmed, file, live, liveMidEpoch, GC.GetTotalMemory(forceFullCollection: false), System.Runtime.JitInfo.GetCompiledMethodCount(), seconds);
        }
    }

    // Each batch is checked in full, every pixel of every image against its label: image i only depends on i mod 251,
    // so the expected images are rows of a 251-image table.
    private static void Verify(Dictionary<string, Tensor> batch, Tensor table, bool[] seen)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor y = batch["y"];
        Tensor want = table.index_select(0, y % 251);
        if (!(batch["x"].reshape(y.shape[0], Pixels) == want).all().item<bool>())
            throw new InvalidDataException("A batch's images do not match its labels.");
        foreach (long label in y.data<long>())
            seen[label] = true;
    }
}
