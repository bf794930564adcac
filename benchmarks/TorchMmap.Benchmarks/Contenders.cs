namespace TorchMmap.Benchmarks;

/// <summary>The contenders of the hot-cache benchmark, by name.</summary>
internal static class Contenders
{
    /// <summary>Name, description, factory (workload, data folder, shuffled).</summary>
    public static readonly (string Name, string Description, Func<Workload, string, bool, IContender> Create)[] All =
    [
        ("memcpy-2t", "limit: fresh tensor per batch, per-row memcpy from the mapping, 2 threads", (w, d, s) => new MemcpyLimit(w, d, s, threads: 2)),
        ("memcpy-1t", "limit with 1 thread", (w, d, s) => new MemcpyLimit(w, d, s, threads: 1)),
        ("npy-default", "NpyDataLoader with every option at its default (num_workers 1, prefetch_factor and CopyThreads chosen from the batch size)", (w, d, s) => new LoaderContender(w, d, s, workers: null, copyThreads: null)),
        ("npy-default-subset", "npy-default over a Subset: Subset.RandomSplit of the whole dataset into one part (every row, in a random order)", (w, d, s) => new LoaderContender(w, d, s, workers: null, copyThreads: null, subset: true)),
        ("numpy", "NumPy fancy indexing x[idx] per batch in Python over np.load(mmap_mode='r'), same order", (w, d, s) => new NumPyContender(w, d, s)),
        ("npy-w0-c1", "NpyDataLoader, no prefetch (num_workers 0), 1 copy thread", (w, d, s) => new LoaderContender(w, d, s, workers: 0, copyThreads: 1)),
        ("npy-w0-c2", "NpyDataLoader, no prefetch, 2 copy threads", (w, d, s) => new LoaderContender(w, d, s, workers: 0, copyThreads: 2)),
        ("npy-w1-c1", "NpyDataLoader, prefetch (1 worker, prefetch_factor 2), 1 copy thread", (w, d, s) => new LoaderContender(w, d, s, workers: 1, copyThreads: 1)),
        ("npy-w1-c2", "NpyDataLoader, prefetch (1 worker), 2 copy threads", (w, d, s) => new LoaderContender(w, d, s, workers: 1, copyThreads: 2)),
        ("npy-w2-c1", "NpyDataLoader, prefetch (2 workers), 1 copy thread", (w, d, s) => new LoaderContender(w, d, s, workers: 2, copyThreads: 1)),
        ("npy-w0-c1-kernel", "as npy-w0-c1 with no file lease: every copy made by the kernel (process_vm_readv), as on file systems without leases", (w, d, s) => WithoutLeases(() => new LoaderContender(w, d, s, workers: 0, copyThreads: 1))),
        ("npy-w1-c2-kernel", "as npy-w1-c2 with no file lease", (w, d, s) => WithoutLeases(() => new LoaderContender(w, d, s, workers: 1, copyThreads: 2))),
        ("stock-mmap", "TorchSharp DataLoader over NpyMmapDataset (sample by sample)", (w, d, s) => new StockContender(w, d, s, inRam: false)),
        ("stock-ram", "TorchSharp DataLoader over an in-RAM TensorDataset", (w, d, s) => new StockContender(w, d, s, inRam: true)),
    ];

    // Leases are taken when a file opens, so only this contender's files go without.
    private static IContender WithoutLeases(Func<IContender> create)
    {
        Storage.FileLease.Enabled = false;
        try
        {
            return create();
        }
        finally
        {
            Storage.FileLease.Enabled = true;
        }
    }

    public static (string Name, string Description, Func<Workload, string, bool, IContender> Create) Find(string name) =>
        All.FirstOrDefault(c => c.Name == name) is { Name: not null } c ? c : throw new ArgumentException($"Unknown contender '{name}'.");
}
