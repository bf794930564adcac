using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>NpyDataLoader over the workload's two files, or over a <see cref="Subset"/> of them.</summary>
internal sealed class LoaderContender : IContender
{
    private readonly NpyMmapDataset _dataset;
    private readonly NpyDataLoader _loader;

    /// <param name="workers">num_workers, or null for the loader's default.</param>
    /// <param name="copyThreads">CopyThreads, or null for the dataset's default.</param>
    /// <param name="prefetch">prefetch_factor, or null for the loader's default.</param>
    /// <param name="subset">True to read a <see cref="Subset.RandomSplit(IBatchDataset, IReadOnlyList{long}, long)"/> of the whole
    /// dataset into one part: every row, in a random order.</param>
    public LoaderContender(Workload workload, string dir, bool shuffle, int? workers, int? copyThreads, int? prefetch = 2, Sampler? sampler = null, bool pageHints = false, bool subset = false)
    {
        _dataset = NpyMmapDataset.Open(("image", workload.ImagesPath(dir)), ("label", workload.LabelsPath(dir)));
        if (copyThreads is int threads)
            _dataset.CopyThreads = threads;
        IBatchDataset read = subset ? Subset.RandomSplit(_dataset, [_dataset.Count], seed: 1)[0] : _dataset;
        _loader = (workers, prefetch) switch
        {
            (int w, int p) => new NpyDataLoader(read, workload.BatchSize, shuffle: shuffle, seed: 1, sampler: sampler, num_workers: w, prefetch_factor: p, pageHints: pageHints),
            (int w, null) => new NpyDataLoader(read, workload.BatchSize, shuffle: shuffle, seed: 1, sampler: sampler, num_workers: w, pageHints: pageHints),
            _ => new NpyDataLoader(read, workload.BatchSize, shuffle: shuffle, seed: 1, sampler: sampler),
        };
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
