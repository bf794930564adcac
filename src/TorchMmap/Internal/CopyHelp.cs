using System.Runtime.ExceptionServices;

namespace TorchMmap.Internal;

/// <summary>
/// Where a loader worker posts the batch copy it is running, so that a training loop waiting for that very batch can copy
/// some of its row ranges instead of sleeping. One per worker; only that worker posts on it.
/// </summary>
internal sealed class CopyHelp
{
    private CopyJob? _job;
    private volatile bool _shares;
    private volatile bool _lastHelped;

    /// <summary>Whether the worker has posted a copy here: its batches are large enough to share, so a waiting loop does
    /// better to wait for its next post than to build a batch of its own beside it.</summary>
    public bool Shares => _shares;

    /// <summary>Whether a copy is posted now (its parts may all be taken).</summary>
    public bool IsPosted => Volatile.Read(ref _job) is not null;

    /// <summary>Whether another thread copied a part of the last copy run here: the training loop was waiting for that batch.</summary>
    public bool LastHelped => _lastHelped;

    /// <summary>Copies one part of the posted copy; false when nothing is posted or every part is taken.</summary>
    public bool TryHelp() => Volatile.Read(ref _job) is { } job && job.TryRunOne(helper: true);

    /// <summary>Runs <paramref name="job"/> to its end on the calling thread, posted here meanwhile.</summary>
    public void Run(CopyJob job)
    {
        _shares = true;
        Volatile.Write(ref _job, job);
        try
        {
            job.RunToEnd();
        }
        finally
        {
            Volatile.Write(ref _job, null);
            _lastHelped = job.Helped;
        }
    }
}

/// <summary>
/// One batch copy in row ranges that any thread may claim: the thread that runs it to its end takes parts until none is
/// left, then waits for those another thread took. An exception from any part is thrown by <see cref="RunToEnd"/>.
/// </summary>
/// <param name="rows">Rows of the batch.</param>
/// <param name="parts">Consecutive row ranges the copy is cut into.</param>
/// <param name="copy">Copies rows [from, to).</param>
internal sealed class CopyJob(int rows, int parts, Action<int, int> copy)
{
    private int _claimed;   // parts claimed so far; runs past parts once they are all taken
    private int _finished;
    private ExceptionDispatchInfo? _error;
    private volatile bool _helped;

    /// <summary>Whether a thread other than the one running the copy to its end copied a part.</summary>
    public bool Helped => _helped;

    /// <summary>Claims and copies the next part; false when every part is taken.</summary>
    /// <param name="helper">True on a thread other than the one that runs the copy to its end.</param>
    public bool TryRunOne(bool helper = false)
    {
        int p = Interlocked.Increment(ref _claimed) - 1;
        if (p >= parts)
            return false;
        // Set before the part counts as finished, so the thread running the copy to its end sees it.
        if (helper)
            _helped = true;
        try
        {
            copy((int)((long)rows * p / parts), (int)((long)rows * (p + 1) / parts));
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(ex), null);
        }
        finally
        {
            Interlocked.Increment(ref _finished);
        }
        return true;
    }

    /// <summary>Copies parts until none is left, waits for the parts other threads took, then throws the first
    /// exception any part met.</summary>
    public void RunToEnd()
    {
        while (TryRunOne())
        {
        }
        // A part another thread took is a few rows' copy: spin and yield, never sleep (a millisecond's sleep would cost
        // more than the part).
        var spin = new SpinWait();
        while (Volatile.Read(ref _finished) < parts)
            spin.SpinOnce(sleep1Threshold: -1);
        _error?.Throw();
    }
}
