using TorchMmap.Format;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>Writes small .npy datasets whose content encodes the row index, so any batch can be checked on its own.</summary>
internal sealed class DataFiles : IDisposable
{
    public DataFiles() => Dir = Directory.CreateTempSubdirectory("torchmmap-data-").FullName;

    public string Dir { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Dir, name);

    /// <summary>Images: row i is (2, 3) int32 values 6i .. 6i+5; labels: row i is i (int64).</summary>
    public (string Images, string Labels) Write(long rows, string prefix = "")
    {
        string x = PathOf(prefix + "x.npy"), y = PathOf(prefix + "y.npy");
        using (Tensor images = torch.arange(rows * 6, dtype: ScalarType.Int32).reshape(rows, 2, 3))
            Npy.Save(x, images);
        using (Tensor labels = torch.arange(rows, dtype: ScalarType.Int64))
            Npy.Save(y, labels);
        return (x, y);
    }

    /// <summary>Shards of the same content, split at the given row counts.</summary>
    public (string[] Images, string[] Labels) WriteShards(params long[] sizes)
    {
        var xs = new string[sizes.Length];
        var ys = new string[sizes.Length];
        long start = 0;
        for (int s = 0; s < sizes.Length; s++)
        {
            xs[s] = PathOf($"x-{s:000}.npy");
            ys[s] = PathOf($"y-{s:000}.npy");
            using (var writer = NpyWriter.Create(xs[s], NpyDType.Int32, [2, 3]))
            {
                using Tensor rows = torch.arange(start * 6, (start + sizes[s]) * 6, dtype: ScalarType.Int32).reshape(sizes[s], 2, 3);
                writer.Append(rows);
                writer.Complete();
            }
            using (Tensor labels = torch.arange(start, start + sizes[s], dtype: ScalarType.Int64))
                Npy.Save(ys[s], labels);
            start += sizes[s];
        }
        return (xs, ys);
    }

    /// <summary>Asserts that a batch is exactly the rows at <paramref name="expected"/> of the files <see cref="Write"/> makes.</summary>
    public static void AssertRows(Dictionary<string, Tensor> batch, IReadOnlyList<long> expected)
    {
        long[] labels = batch["y"].data<long>().ToArray();
        Assert.Equal(expected, labels);
        Assert.Equal(new long[] { expected.Count, 2, 3 }, batch["x"].shape);
        int[] images = batch["x"].data<int>().ToArray();
        int[] want = expected.SelectMany(i => Enumerable.Range(0, 6).Select(j => (int)(i * 6 + j))).ToArray();
        Assert.Equal(want, images);
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
