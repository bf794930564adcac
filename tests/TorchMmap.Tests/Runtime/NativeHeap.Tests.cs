using System.Diagnostics;
using System.Globalization;
using TorchMmap.Reliability;
using TorchMmap.Runtime;
using TorchMmap.Tests.TestUtilities;

namespace TorchMmap.Tests.Runtime;

/// <summary>
/// <see cref="NativeHeap.RetainFreedMemory"/> changes the whole process's heap, so each case runs in a child process
/// (the Reliability console's hidden <c>heap-faults</c> command) that frees and reallocates one 64 MiB block 20 times.
/// </summary>
public sealed class NativeHeapTests
{
    private static readonly long s_pagesPerBlock = HeapFaults.BlockBytes / Environment.SystemPageSize;

    [Fact]
    public void RetainFreedMemory_RepeatedLargeBlocks_FaultInOnlyOnce()
    {
        if (!OperatingSystem.IsLinux())
            return;
        (bool applied, long faults) = RunChild("retain");

        Assert.True(applied);
        // The first block is faulted in; the 19 after it reuse the same pages (a little slack for the runtime's own work).
        Assert.InRange(faults, 0, 3 * s_pagesPerBlock);
    }

    [Fact]
    public void Default_RepeatedLargeBlocks_FaultInEveryTime()
    {
        if (!OperatingSystem.IsLinux())
            return;
        (bool applied, long faults) = RunChild("default");

        Assert.False(applied);
        // What the setting avoids: glibc maps and unmaps each 64 MiB block, so every round faults every page again.
        Assert.True(faults >= (HeapFaults.Rounds - 1) * s_pagesPerBlock, $"{faults} faults");
    }

    [Fact]
    public void RetainFreedMemory_NegativeOrTooLarge_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeHeap.RetainFreedMemory(mmapThreshold: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeHeap.RetainFreedMemory(trimThreshold: (long)int.MaxValue + 1));
    }

    private static (bool Applied, long Faults) RunChild(string mode)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(BuiltProgram.Reliability);
        start.ArgumentList.Add("heap-faults");
        start.ArgumentList.Add(mode);
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> error = child.StandardError.ReadToEndAsync();
        Assert.True(child.WaitForExit(60_000), "the child did not finish");
        Assert.True(child.ExitCode == 0, error.Result);
        string[] fields = output.Result.Trim().Split(' ');
        return (bool.Parse(fields[0]), long.Parse(fields[1], CultureInfo.InvariantCulture));
    }
}
