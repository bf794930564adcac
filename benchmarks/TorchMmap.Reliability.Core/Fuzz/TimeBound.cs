using System.Runtime.ExceptionServices;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>Runs a check with a deadline, so a hang is reported as a failure instead of stalling the run.</summary>
public static class TimeBound
{
    /// <summary>Runs <paramref name="action"/> on a pool thread and waits at most <paramref name="limit"/>.</summary>
    /// <param name="action">The check.</param>
    /// <param name="limit">The deadline.</param>
    /// <exception cref="FuzzFailureException">The check did not finish in time.</exception>
    public static void Run(Action action, TimeSpan limit)
    {
        var task = Task.Run(action);
        bool finished;
        try
        {
            finished = task.Wait(limit);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
            throw;
        }
        if (!finished)
            throw new FuzzFailureException($"The case did not finish within {limit.TotalSeconds:0.#} s (a hang).");
    }
}
