using System.Buffers.Binary;
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

    /// <summary>
    /// Arrays of several dtypes over the same rows: "image" uint8 (3, 2, 2), "feature" float32 (4), "label" int64 (row i
    /// holds i), "code" big-endian int32 (2) and "depth" uint16 with values above 32767 (loaded widened to int32).
    /// </summary>
    public Dictionary<string, string> WriteMixed(long rows, string prefix = "")
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in new[] { "image", "feature", "label", "code", "depth" })
            paths[name] = PathOf(prefix + name + ".npy");
        using (Tensor image = torch.arange(rows * 12, dtype: ScalarType.Int64).remainder(251).to_type(ScalarType.Byte).reshape(rows, 3, 2, 2))
            Npy.Save(paths["image"], image);
        using (Tensor feature = torch.arange(rows * 4, dtype: ScalarType.Float32).mul(0.25).reshape(rows, 4))
            Npy.Save(paths["feature"], feature);
        using (Tensor label = torch.arange(rows, dtype: ScalarType.Int64))
            Npy.Save(paths["label"], label);
        using (var writer = NpyWriter.Create(paths["code"], NpyDType.Parse(">i4"), [2]))
        {
            byte[] bytes = new byte[rows * 2 * 4];
            for (int i = 0; i < rows * 2; i++)
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), CodeValue(i));
            writer.Append<byte>(bytes);
            writer.Complete();
        }
        using (var writer = NpyWriter.Create(paths["depth"], NpyDType.UInt16, []))
        {
            ushort[] depth = Enumerable.Range(0, (int)rows).Select(i => DepthValue(i)).ToArray();
            writer.Append<ushort>(depth);
            writer.Complete();
        }
        return paths;
    }

    /// <summary>Element <paramref name="i"/> (row-major) of the "code" array <see cref="WriteMixed"/> writes.</summary>
    public static int CodeValue(long i) => (int)(i * -3 + 7);

    /// <summary>Row <paramref name="i"/> of the "depth" array <see cref="WriteMixed"/> writes.</summary>
    public static ushort DepthValue(long i) => (ushort)(40000 + i * 7 % 25000);

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
