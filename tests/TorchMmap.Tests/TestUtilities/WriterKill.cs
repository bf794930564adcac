using System.Diagnostics;

namespace TorchMmap.Tests.TestUtilities;

/// <summary>Kills a writer of the Reliability console (<c>write-forever</c>, <c>write-tokens-forever</c>) mid-write.</summary>
internal static class WriterKill
{
    /// <summary>
    /// Starts the child with <paramref name="args"/>, waits for the temporary file it prints (next to
    /// <paramref name="path"/>) and for that file to grow, so the kill lands really mid-write, then kills it.
    /// </summary>
    /// <param name="path">The final path the child writes.</param>
    /// <param name="args">The child's command line.</param>
    /// <returns>The temporary file the killed writer left.</returns>
    public static string KillMidWrite(string path, params string[] args)
    {
        using var child = new ReliabilityChild(args);
        string temp = child.WaitForLine(Path.GetDirectoryName(path)!, TimeSpan.FromSeconds(60));
        long size = new FileInfo(temp).Length;
        var clock = Stopwatch.StartNew();
        while (new FileInfo(temp).Length == size && clock.Elapsed < TimeSpan.FromSeconds(10))
            Thread.Sleep(1);
        Assert.False(child.HasExited, "the writer ended before it was killed");
        child.Kill(TimeSpan.FromSeconds(30));
        return temp;
    }
}
