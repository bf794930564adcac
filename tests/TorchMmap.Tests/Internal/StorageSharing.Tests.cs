using TorchMmap.Internal;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Internal;

/// <summary>The storage reference count read from libtorch follows every kind of view a training loop makes.</summary>
public sealed class StorageSharingTests
{
    [Fact]
    public void IsSupported_PinnedTorchSharp_ReadsTheCounts() => Assert.True(StorageSharing.IsSupported);

    [Fact]
    public void IsSoleOwner_FreshTensor_IsTrue()
    {
        using Tensor t = empty(8, 4, dtype: ScalarType.Float32);
        Assert.True(StorageSharing.IsSoleOwner(t));
    }

    [Theory]
    [InlineData("alias")]
    [InlineData("narrow")]
    [InlineData("view")]
    [InlineData("index")]
    [InlineData("to-cpu-of-a-view")]
    public void IsSoleOwner_WhileAViewLives_IsFalseAndTrueAgainOnceItIsDisposed(string kind)
    {
        using Tensor t = empty(8, 4, dtype: ScalarType.Float32);
        Tensor view = kind switch
        {
            "alias" => t.alias(),
            "narrow" => t.narrow(0, 2, 3),
            "view" => t.view(32),
            "index" => t[1],
            _ => MakeToCpuOfAView(t),
        };
        Assert.False(StorageSharing.IsSoleOwner(t));
        view.Dispose();
        Assert.True(StorageSharing.IsSoleOwner(t));
    }

    [Fact]
    public void IsSoleOwner_CopyOrDisposedTensor_CopyDoesNotShareAndDisposedIsNotOwned()
    {
        Tensor t = empty(8, dtype: ScalarType.Int64);
        using (Tensor copy = t.clone())
            Assert.True(StorageSharing.IsSoleOwner(t));
        t.Dispose();
        Assert.False(StorageSharing.IsSoleOwner(t));
    }

    // to(CPU) of a CPU tensor returns the same tensor: what shares the storage is the view it came from, kept alive by it.
    private static Tensor MakeToCpuOfAView(Tensor t)
    {
        using Tensor view = t.alias();
        return view.to(CPU);
    }
}
