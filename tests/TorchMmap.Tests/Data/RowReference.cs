using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>Checks batches against rows read one at a time with <see cref="NpyArray.ReadRows"/>, a path independent of the batch gather.</summary>
internal sealed class RowReference : IDisposable
{
    private readonly Dictionary<string, NpyArray> _arrays;

    /// <summary>Opens each file on its own mapping.</summary>
    public RowReference(IReadOnlyDictionary<string, string> paths) =>
        _arrays = paths.ToDictionary(kv => kv.Key, kv => NpyArray.Open(kv.Value), StringComparer.Ordinal);

    /// <summary>Asserts that <paramref name="batch"/> holds exactly the rows at <paramref name="indices"/> of every array, with the array's loaded dtype.</summary>
    public void AssertBatch(Dictionary<string, Tensor> batch, IReadOnlyList<long> indices)
    {
        Assert.Equal(_arrays.Keys.Order(StringComparer.Ordinal), batch.Keys.Order(StringComparer.Ordinal));
        using DisposeScope scope = torch.NewDisposeScope();
        foreach ((string name, NpyArray array) in _arrays)
        {
            Tensor expected = indices.Count == 0
                ? array.ReadRows(0, 0)
                : torch.cat(indices.Select(i => array.ReadRows(i, 1)).ToArray(), 0);
            Tensor actual = batch[name];
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), $"'{name}' differs from rows [{string.Join(", ", indices)}].");
        }
    }

    /// <summary>Asserts that a batch's "label" column (row i holds i) names <paramref name="indices"/>, then checks every column.</summary>
    public void AssertLabelsAndBatch(Dictionary<string, Tensor> batch, IReadOnlyList<long> indices)
    {
        Assert.Equal(indices, batch["label"].data<long>().ToArray());
        AssertBatch(batch, indices);
    }

    public void Dispose()
    {
        foreach (NpyArray array in _arrays.Values)
            array.Dispose();
    }
}
