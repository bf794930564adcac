using System.Collections.Concurrent;
using TorchMmap.Internal;

namespace TorchMmap.Tests.Internal;

public sealed class CopyHelpTests
{
    private static readonly TimeSpan s_noHang = TimeSpan.FromSeconds(20);

    [Fact]
    public void TryHelp_NothingPosted_ReturnsFalse() => Assert.False(new CopyHelp().TryHelp());

    [Fact]
    public void RunToEnd_NoHelper_CopiesEveryRowOnceInItsParts()
    {
        var ranges = new ConcurrentBag<(int From, int To)>();
        new CopyJob(20, 7, (from, to) => ranges.Add((from, to))).RunToEnd();

        Assert.Equal(7, ranges.Count);
        Assert.Equal(Enumerable.Range(0, 20), ranges.OrderBy(r => r.From).SelectMany(r => Enumerable.Range(r.From, r.To - r.From)));
    }

    [Fact]
    public void TryHelp_WhileAWorkerRunsAJob_TheHelperCopiesPartsAndEveryPartRunsOnce()
    {
        var help = new CopyHelp();
        var byThread = new ConcurrentDictionary<int, int>();
        var helperCopied = new ManualResetEventSlim();
        int worker = 0, helper = Environment.CurrentManagedThreadId, waited = 0;
        // The worker's first part waits until the helper has copied one, so both take parts whatever the timing.
        var job = new CopyJob(8, 8, (_, _) =>
        {
            byThread.AddOrUpdate(Environment.CurrentManagedThreadId, 1, (_, n) => n + 1);
            if (Environment.CurrentManagedThreadId != helper && Interlocked.Exchange(ref waited, 1) == 0)
                Assert.True(helperCopied.Wait(s_noHang), "The helper never took a part.");
        });
        var run = new Thread(() =>
        {
            worker = Environment.CurrentManagedThreadId;
            help.Run(job);
        });
        run.Start();
        Assert.True(SpinWait.SpinUntil(help.TryHelp, s_noHang), "No part was posted to help with.");
        helperCopied.Set();
        while (help.TryHelp())
        {
        }

        Assert.True(run.Join(s_noHang), "The worker's copy did not end.");
        Assert.Equal(8, byThread.Values.Sum());
        Assert.True(byThread.GetValueOrDefault(Environment.CurrentManagedThreadId) >= 1);
        Assert.True(byThread.GetValueOrDefault(worker) >= 1);
        // Once the copy has ended nothing is posted any more; the board remembers that a waiting thread shared it.
        Assert.False(help.TryHelp());
        Assert.False(help.IsPosted);
        Assert.True(help.Shares);
        Assert.True(help.LastHelped);

        // The next copy, which nobody helps with, is what LastHelped then describes.
        help.Run(new CopyJob(4, 2, (_, _) => { }));
        Assert.False(help.LastHelped);
    }

    [Fact]
    public void Run_NoHelper_PostsWhileRunningAndRecordsThatNobodyHelped()
    {
        var help = new CopyHelp();
        Assert.False(help.Shares);
        bool postedDuringCopy = false;

        help.Run(new CopyJob(4, 2, (_, _) => postedDuringCopy |= help.IsPosted));

        Assert.True(postedDuringCopy);
        Assert.False(help.IsPosted);
        Assert.True(help.Shares);
        Assert.False(help.LastHelped);
    }

    [Fact]
    public void RunToEnd_APartTheHelperRanThrew_TheWorkerThrowsIt()
    {
        var help = new CopyHelp();
        var failure = new InvalidDataException("Simulated truncated file.");
        var helperFailed = new ManualResetEventSlim();
        int helper = Environment.CurrentManagedThreadId, waited = 0;
        var job = new CopyJob(4, 4, (_, _) =>
        {
            if (Environment.CurrentManagedThreadId == helper)
                throw failure;
            if (Interlocked.Exchange(ref waited, 1) == 0)
                Assert.True(helperFailed.Wait(s_noHang), "The helper never took a part.");
        });
        Exception? thrown = null;
        var run = new Thread(() => thrown = Record.Exception(() => help.Run(job)));
        run.Start();
        Assert.True(SpinWait.SpinUntil(help.TryHelp, s_noHang), "No part was posted to help with.");
        helperFailed.Set();

        Assert.True(run.Join(s_noHang), "The worker's copy did not end.");
        Assert.Same(failure, thrown);
    }
}
