using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>Enumerates loader epochs and checks every batch against an expected sample order.</summary>
internal static class LoaderAssert
{
    /// <summary>
    /// Enumerates one epoch and asserts that batch k holds exactly the rows order[k*B .. (k+1)*B) (the last one short
    /// unless <paramref name="dropLast"/>), read independently through <paramref name="reference"/>, and that the
    /// number of batches is the loader's <see cref="NpyDataLoader.Count"/>.
    /// </summary>
    public static void Epoch(NpyDataLoader loader, RowReference reference, IReadOnlyList<long> order, int batchSize, bool dropLast)
    {
        long expectedBatches = dropLast ? order.Count / batchSize : (order.Count + batchSize - 1) / batchSize;
        Assert.Equal(expectedBatches, loader.Count);
        long k = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            Assert.True(k < expectedBatches, $"The loader gave more than {expectedBatches} batches.");
            long[] slice = order.Skip((int)(k * batchSize)).Take(batchSize).ToArray();
            reference.AssertBatch(batch, slice);
            k++;
        }
        Assert.Equal(expectedBatches, k);
    }

    /// <summary>Enumerates one epoch and returns each batch's "label" values (row i holds i), copied out.</summary>
    public static List<long[]> Labels(NpyDataLoader loader)
    {
        var result = new List<long[]>();
        foreach (Dictionary<string, Tensor> batch in loader)
            result.Add(batch["label"].data<long>().ToArray());
        return result;
    }

    /// <summary><c>torch.randperm(n, generator)</c> with the generator seeded by <paramref name="seed"/>: PyTorch's shuffle for a seed.</summary>
    public static long[] RandPerm(long n, long seed)
    {
        if (n == 0)
            return [];
        using var generator = new torch.Generator(unchecked((ulong)seed));
        using Tensor perm = torch.randperm(n, generator: generator);
        return perm.data<long>().ToArray();
    }
}
