using System.Diagnostics;

namespace TorchMmap.Internal;

/// <summary>Spinning for something the other side of a hand-off does within microseconds, never for longer than a bound.</summary>
internal static class BoundedSpin
{
    /// <summary>Spins (yielding, never sleeping) until <paramref name="done"/> returns true or <paramref name="ticks"/>
    /// <see cref="Stopwatch"/> ticks have passed.</summary>
    /// <returns>Whether <paramref name="done"/> returned true.</returns>
    public static bool Until(Func<bool> done, long ticks)
    {
        long until = Stopwatch.GetTimestamp() + ticks;
        var spin = new SpinWait();
        while (!done())
        {
            if (Stopwatch.GetTimestamp() > until)
                return false;
            spin.SpinOnce(sleep1Threshold: -1);
        }
        return true;
    }
}
