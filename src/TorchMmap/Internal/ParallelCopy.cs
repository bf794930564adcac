namespace TorchMmap.Internal;

/// <summary>How a batch copy is split over threads: one rule for every dataset that copies batches.</summary>
internal static class ParallelCopy
{
    /// <summary>The copy threads a dataset uses by default: <see cref="Plan"/> picks them per batch.</summary>
    public const int Auto = 0;

    /// <summary>Each thread copies at least this much: below it, waking a thread costs more than the copy it saves. Measured
    /// by the hot benchmark on 2 shared cores: two threads made 200 KiB (MNIST) batches 2x slower and 3 MiB (CIFAR) ones no
    /// faster, and only 9.6 MiB (ImageNet) batches gained.</summary>
    public const long MinBytesPerThread = 2L << 20;

    /// <summary>With <see cref="Auto"/> copy threads and a <see cref="CopyHelp"/>, a batch that would be split is cut into
    /// parts of about this size instead, which the copying thread and a waiting training loop take in turn.</summary>
    public const long SharedPartBytes = 1L << 20;

    /// <summary>How a batch of <paramref name="rows"/> rows and <paramref name="bytes"/> bytes is copied: in at most
    /// <paramref name="threads"/> parts (<see cref="Auto"/>: the processor count), at most one per row, each at least
    /// <see cref="MinBytesPerThread"/>, on thread-pool threads beside the calling one. With <see cref="Auto"/> and a
    /// <paramref name="help"/> board, a batch so split is cut into an even number of parts of about
    /// <see cref="SharedPartBytes"/> instead, posted there for a waiting training loop, and no other thread is woken.</summary>
    public static CopyPlan Plan(int rows, long bytes, int threads, CopyHelp? help = null)
    {
        int limit = threads == Auto ? Environment.ProcessorCount : threads;
        long bySize = Math.Max(1, bytes / MinBytesPerThread);
        int parts = (int)Math.Max(1, Math.Min(Math.Min(limit, rows), bySize));
        if (parts > 1 && threads == Auto && help is not null)
        {
            // The worker and the loop take parts in turn: with an odd number, the last one is copied by one thread alone
            // while the other waits (a ninth of an ImageNet batch's copy).
            long shared = Math.Max(2, bytes / SharedPartBytes);
            shared += shared & 1;
            return new CopyPlan((int)Math.Min(rows, shared), help);
        }
        return new CopyPlan(parts, null);
    }

    /// <summary>Runs <paramref name="copy"/>(from, to) over the plan's consecutive row ranges of [0, <paramref name="rows"/>),
    /// the calling thread taking part.</summary>
    public static void Run(int rows, CopyPlan plan, Action<int, int> copy)
    {
        int parts = plan.Parts;
        if (parts <= 1)
        {
            copy(0, rows);
            return;
        }
        if (plan.Help is not null)
        {
            plan.Help.Run(new CopyJob(rows, parts, copy));
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

/// <summary>The parts a batch copy is cut into, and the board a waiting training loop takes parts from (null: thread-pool threads).</summary>
internal readonly record struct CopyPlan(int Parts, CopyHelp? Help);
