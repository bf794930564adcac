using TorchMmap.Data;
using TorchMmap.Format;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

public sealed class NpyLoaderStateTests : IDisposable
{
    private readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private NpyLoaderState StateOf(string x, string y, long position = 16)
    {
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 3);
        return loader.state_dict() with { Position = position };
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"Epoch\":0}")]
    [InlineData("{ not json")]
    public void FromJson_NotAState_ThrowsArgumentException(string json) =>
        Assert.Throws<ArgumentException>(nameof(json), () => NpyLoaderState.FromJson(json));

    [Fact]
    public void FromJson_RoundTrip_GivesAnEqualState()
    {
        (string x, string y) = _files.Write(40);
        NpyLoaderState state = StateOf(x, y);
        Assert.Equal(state, NpyLoaderState.FromJson(state.ToJson()));
        Assert.Equal(NpyLoaderState.CurrentVersion, state.Version);
    }

    [Theory]
    [InlineData("\"Version\":2", "\"Version\":1", "version")]
    [InlineData("\"Position\":16", "\"Position\":-1", "position")]
    [InlineData("\"GlobalBatchSize\":8", "\"GlobalBatchSize\":0", "global batch size")]
    [InlineData("\"Position\":16,", "", "Position")]
    [InlineData("\"Epoch\":0,", "\"Epoch\":0,\"Extra\":1,", "Extra")]
    public void FromJson_AlteredMember_ThrowsNamingIt(string from, string to, string named)
    {
        (string x, string y) = _files.Write(40);
        string json = StateOf(x, y).ToJson();
        Assert.Contains(from, json, StringComparison.Ordinal);
        ArgumentException ex = Assert.Throws<ArgumentException>("json", () => NpyLoaderState.FromJson(json.Replace(from, to, StringComparison.Ordinal)));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDict_SameShapeOtherValues_RefusesNamingTheContentSample()
    {
        (string x, string y) = _files.Write(40);
        NpyLoaderState state = StateOf(x, y);
        string other = _files.PathOf("other.npy");
        using (Tensor t = torch.arange(40 * 6, dtype: ScalarType.Int32).reshape(40, 2, 3) + 1)
            Npy.Save(other, t);
        using var dataset = NpyMmapDataset.Open(("x", other), ("label", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 3);
        ArgumentException ex = Assert.Throws<ArgumentException>("state", () => loader.load_state_dict(state));
        Assert.Contains("array 'x': content sample", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'label'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDict_OtherShapeDTypeAndNames_RefusesListingEachDifference()
    {
        (string x, string y) = _files.Write(40);
        NpyLoaderState state = StateOf(x, y);
        string wide = _files.PathOf("wide.npy");
        using (Tensor t = torch.zeros(40, 7, dtype: ScalarType.Float64))
            Npy.Save(wide, t);
        using var dataset = NpyMmapDataset.Open(("x", wide), ("target", y));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 3);
        ArgumentException ex = Assert.Throws<ArgumentException>("state", () => loader.load_state_dict(state));
        Assert.Contains("array 'x': dtype <i4 vs <f8", ex.Message, StringComparison.Ordinal);
        Assert.Contains("array 'x': shape (40, 2, 3) vs (40, 7)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("array 'x': file size", ex.Message, StringComparison.Ordinal);
        Assert.Contains("array 'label' vs no such array", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no array 'target' vs array 'target'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDict_CopyOfTheDataElsewhere_Resumes()
    {
        // Paths are not part of the fingerprint: another node's copy of the same files resumes the run.
        (string x, string y) = _files.Write(40);
        NpyLoaderState state = StateOf(x, y);
        string x2 = _files.PathOf("copy-x.npy"), y2 = _files.PathOf("copy-y.npy");
        File.Copy(x, x2);
        File.Copy(y, y2);
        using var dataset = NpyMmapDataset.Open(("x", x2), ("label", y2));
        using var loader = new NpyDataLoader(dataset, 8, shuffle: true, seed: 3);
        loader.load_state_dict(state);
        Assert.Equal(16, loader.Position);
    }

    [Fact]
    public void LoadStateDict_OtherSubsetOfTheSameFiles_Refuses()
    {
        (string x, string y) = _files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        Subset[] halves = Subset.RandomSplit(dataset, [20L, 20L], seed: 1);
        using var first = new NpyDataLoader(halves[0], 4, shuffle: true, seed: 3);
        using var second = new NpyDataLoader(halves[1], 4, shuffle: true, seed: 3);
        ArgumentException ex = Assert.Throws<ArgumentException>("state", () => second.load_state_dict(first.state_dict()));
        Assert.Contains("selection subset of 20 indices", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDict_OtherSampler_RefusesNamingBothOrders()
    {
        (string x, string y) = _files.Write(40);
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", y));
        using var feistel = new NpyDataLoader(dataset, 8, sampler: new FeistelSampler(40, seed: 3, num_replicas: 1, rank: 0));
        using var random = new NpyDataLoader(dataset, 8, shuffle: true, seed: 3);
        ArgumentException ex = Assert.Throws<ArgumentException>("state", () => random.load_state_dict(feistel.state_dict()));
        Assert.Contains("FeistelSampler(length=40, seed=3, drop_last=False)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RandomSampler(length=40, seed=3)", ex.Message, StringComparison.Ordinal);
    }
}
