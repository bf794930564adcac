using TorchMmap.Reliability.Soak;
using TorchSharp;

namespace TorchMmap.Tests.Hardening;

/// <summary>The CI reduction of the <c>soak</c> command: a few epochs with prefetch, no growth in live tensors or memory.</summary>
[Collection(SoakCollection.Name)]
public sealed class SoakTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("torchmmap-soak-test-");

    [Fact]
    public void Loader_ManyEpochsWithPrefetch_LiveTensorsAndMemoryStayFlat()
    {
        (string x, string y) = SoakRun.WriteData(_dir.FullName, 3000);
        // Tensors other tests left to the finalizer must not be freed in the middle of the count.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        long liveBefore = torch.Tensor.TotalCount;

        EpochStats[] epochs = SoakRun.Run(x, y, epochs: 6, batchSize: 128, workers: 2, prefetch: 3).ToArray();

        Assert.All(epochs, e => Assert.Equal(24, e.Batches));
        // The counter is live: mid-epoch the loader holds batches, after the epoch it holds none.
        Assert.All(epochs, e => Assert.True(e.LiveTensorsMidEpoch > e.LiveTensors, $"epoch {e.Epoch}: {e.LiveTensorsMidEpoch} mid-epoch, {e.LiveTensors} after"));
        EpochStats second = epochs[1];
        // After an epoch only the loader's ring of batch slots is alive (one tensor per array per slot, at most one slot
        // per batch in flight: 2 workers x (prefetch 3 + the one being built) + the one the loop holds + one the loop
        // built ahead while it waited), and the table. How many slots the ring grew to depends on timing; it never exceeds
        // that, whatever the number of epochs.
        const int slotTensors = 2 * ((2 * (3 + 1)) + 2);
        Assert.All(epochs, e => Assert.InRange(e.LiveTensors - liveBefore, 1, 1 + slotTensors));
        // Each epoch allocates ~2.5 MiB of batches; a leak would add that much anonymous memory every epoch, 10 MiB over the run.
        long growthKiB = epochs[^1].RssAnonKiB - second.RssAnonKiB;
        Assert.True(growthKiB < 8 * 1024, $"anonymous RSS grew by {growthKiB} KiB from epoch 2 to epoch {epochs.Length}");
        Assert.True(epochs[^1].ManagedHeapBytes - second.ManagedHeapBytes < 4 << 20, "the managed heap grew");
        // The loader's ring of reusable batch slots lives as long as the loader: disposing it frees every tensor.
        Assert.Equal(liveBefore, torch.Tensor.TotalCount);
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
