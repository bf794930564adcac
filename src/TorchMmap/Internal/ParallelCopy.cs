namespace TorchMmap.Internal;

/// <summary>How a batch copy is split over threads: one rule for every dataset that copies batches.</summary>
internal static class ParallelCopy
{
    /// <summary>The copy threads a dataset uses by default: <see cref="Parts"/> picks them per batch.</summary>
    public const int Auto = 0;

    /// <summary>Each thread copies at least this much: below it, waking a thread costs more than the copy it saves. Measured
    /// by the hot benchmark on 2 shared cores: two threads made 200 KiB (MNIST) batches 2x slower and 3 MiB (CIFAR) ones no
    /// faster, and only 9.6 MiB (ImageNet) batches gained.</summary>
    public const long MinBytesPerThread = 2L << 20;

    /// <summary>The number of parts a batch of <paramref name="rows"/> rows and <paramref name="bytes"/> bytes is copied in:
    /// at most <paramref name="threads"/> (<see cref="Auto"/>: the processor count), at most one per row, each at least
    /// <see cref="MinBytesPerThread"/>.</summary>
    public static int Parts(int rows, long bytes, int threads)
    {
        int limit = threads == Auto ? Environment.ProcessorCount : threads;
        long bySize = Math.Max(1, bytes / MinBytesPerThread);
        return (int)Math.Max(1, Math.Min(Math.Min(limit, rows), bySize));
    }

    /// <summary>Runs <paramref name="copy"/>(from, to) over <paramref name="parts"/> consecutive row ranges of [0, <paramref name="rows"/>),
    /// the calling thread taking part.</summary>
    public static void Run(int rows, int parts, Action<int, int> copy)
    {
        if (parts <= 1)
        {
            copy(0, rows);
            return;
        }
        try
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                copy((int)((long)rows * p / parts), (int)((long)rows * (p + 1) / parts)));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            // The caller sees what a single-threaded copy would have thrown (a truncated file, a disposed array).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
    }
}
