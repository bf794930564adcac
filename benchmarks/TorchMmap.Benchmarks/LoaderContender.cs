using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>NpyDataLoader over the workload's two files.</summary>
internal sealed class LoaderContender : IContender
{
    private readonly NpyMmapDataset _dataset;
    private readonly NpyDataLoader _loader;

    public LoaderContender(Workload workload, string dir, bool shuffle, int workers, int copyThreads, int prefetch = 2, Sampler? sampler = null, bool pageHints = false)
    {
        _dataset = NpyMmapDataset.Open(("image", workload.ImagesPath(dir)), ("label", workload.LabelsPath(dir)));
        _dataset.CopyThreads = copyThreads;
        _loader = sampler is null
            ? new NpyDataLoader(_dataset, workload.BatchSize, shuffle: shuffle, seed: 1, num_workers: workers, prefetch_factor: prefetch, pageHints: pageHints)
            : new NpyDataLoader(_dataset, workload.BatchSize, sampler: sampler, num_workers: workers, prefetch_factor: prefetch, pageHints: pageHints);
    }

    public TimeSpan Wait => _loader.WaitTime;

    public NpyDataLoader Loader => _loader;

    public long RunEpoch(long epoch)
    {
        _loader.SetEpoch(epoch);
        long samples = 0;
        foreach (Dictionary<string, Tensor> batch in _loader)
            samples += batch["label"].shape[0];
        return samples;
    }

    public void Dispose()
    {
        _loader.Dispose();
        _dataset.Dispose();
    }
}
