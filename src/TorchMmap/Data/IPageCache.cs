using TorchMmap.Storage;

namespace TorchMmap.Data;

/// <summary>The page-cache plumbing a loader uses on datasets over mapped files: kept off the public
/// <see cref="IBatchDataset"/>, so a dataset of the user's own needs only what it serves.</summary>
internal interface IPageCache
{
    /// <summary>Hints that the samples at <paramref name="indices"/> will be read soon (the kernel may start reading them);
    /// out-of-range indices are ignored.</summary>
    void WillNeed(ReadOnlySpan<long> indices);

    /// <summary>Hints the order in which samples will be read.</summary>
    void Advise(NpyAccessPattern pattern);

    /// <summary>The bytes of mapped data the samples are read from: what the page cache must hold for reads to stay off the
    /// disk.</summary>
    long DataBytes { get; }

    /// <summary>Checks that no underlying file has been truncated since it was opened.</summary>
    void EnsureFilesIntact();
}
