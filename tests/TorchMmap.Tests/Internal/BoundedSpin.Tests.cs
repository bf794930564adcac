using System.Diagnostics;
using TorchMmap.Internal;

namespace TorchMmap.Tests.Internal;

public sealed class BoundedSpinTests
{
    [Fact]
    public void Until_ConditionMetOnAnotherThread_ReturnsTrueThen()
    {
        int flag = 0;
        var setter = new Thread(() =>
        {
            Thread.Sleep(20);
            Volatile.Write(ref flag, 1);
        });
        setter.Start();

        // A bound of 60 s: returning true at all shows the spin ended on the condition.
        bool met = BoundedSpin.Until(() => Volatile.Read(ref flag) == 1, Stopwatch.Frequency * 60);

        Assert.True(met);
        Assert.True(setter.Join(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void Until_ConditionNeverMet_ReturnsFalseAfterTheBound()
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;

        bool met = BoundedSpin.Until(() => ++calls < 0, Stopwatch.Frequency / 100);

        Assert.False(met);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(9), $"Ended after {clock.Elapsed}.");
        Assert.True(calls > 1);
    }

    [Fact]
    public void Until_ConditionAlreadyMet_ReturnsTrueWithoutWaiting()
    {
        int calls = 0;

        Assert.True(BoundedSpin.Until(() => ++calls > 0, 0));
        Assert.Equal(1, calls);
    }
}
