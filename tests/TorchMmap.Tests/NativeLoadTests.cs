using TorchSharp;

namespace TorchMmap.Tests;

public class NativeLoadTests
{
    [Fact]
    public void TorchSharp_LoadsOnThisSystem_ComputesASum()
    {
        using var t = torch.arange(10);
        using var s = t.sum();
        Assert.Equal(45L, s.item<long>());
    }
}
