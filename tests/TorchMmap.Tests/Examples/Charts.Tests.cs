using FashionMnist;

namespace TorchMmap.Tests.Examples;

public sealed class ChartsTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(12, 1)]     // the example's default run: a tick at every epoch, none between
    [InlineData(13, 2)]
    [InlineData(24, 2)]
    [InlineData(100, 9)]
    public void EpochTickInterval_Epochs_WholeStepKeepingAboutTwelveTicks(int epochs, int expected)
    {
        int interval = Charts.EpochTickInterval(epochs);

        Assert.Equal(expected, interval);
        Assert.True(epochs / interval <= 12);
    }
}
