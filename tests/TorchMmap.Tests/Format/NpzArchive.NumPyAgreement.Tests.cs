using System.Text.Json;
using TorchMmap.Data;
using TorchMmap.Format;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Format;

/// <summary>
/// Archives that zip readers can read more than one way, each built by Python's zipfile and read by real NumPy
/// (<c>dict(np.load(path))</c>): the library must read the same arrays, and leak nothing.
/// </summary>
[Trait("Requires", "python")]
public sealed class NpzArchiveNumPyAgreementTests : IDisposable
{
    // Builds the archive at argv[1] with the case's Python code, then prints what dict(np.load(path)) holds. NumPy's own
    // archive reader is used directly: np.load hands an archive to it after checking the first bytes, a check that data
    // before the archive fails (np.load then tries pickle), while the reader itself reads such archives.
    private const string Prelude = """
        import io, json, sys, warnings, zipfile
        import numpy as np
        warnings.simplefilter('ignore')
        path = sys.argv[1]
        def npy(a):
            b = io.BytesIO(); np.save(b, np.asarray(a, dtype=np.int64)); return b.getvalue()
        """;

    private const string Report = """

        with np.lib.npyio.NpzFile(open(path, 'rb'), own_fid=True) as z:
            print(json.dumps({k: [int(v) for v in z[k].ravel()] for k in z.files}))
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-npz-numpy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Cases() => new()
    {
        { "duplicate names", """
            with zipfile.ZipFile(path, 'w') as z:
                z.writestr('x.npy', npy([1, 2])); z.writestr('y.npy', npy([7])); z.writestr('x.npy', npy([3, 4, 5]))
            """ },
        { "x and x.npy", """
            with zipfile.ZipFile(path, 'w') as z:
                z.writestr('x.npy', npy([1, 2])); z.writestr('x', npy([3, 4]))
            """ },
        { "the empty key", """
            np.savez(path, **{'': np.arange(3), 'b': np.arange(2)})
            """ },
        { "a second archive in the comment, then a stray byte", """
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, 'w') as z:
                z.writestr('inner.npy', npy([9, 8, 7]))
            with zipfile.ZipFile(path, 'w') as z:
                z.writestr('outer.npy', npy([1])); z.comment = inner.getvalue()
            with open(path, 'ab') as f:
                f.write(b'\0')
            """ },
        { "data before the archive", """
            body = io.BytesIO()
            with zipfile.ZipFile(body, 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('a.npy', npy([5, 6]))
            with open(path, 'wb') as f:
                f.write(b'#!stub\n' * 10 + body.getvalue())
            """ },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LoadNpz_ArchivesZipReadersDisagreeOn_ReadsWhatNumPyReads(string name, string build)
    {
        string path = Path.Combine(_dir, "case.npz");
        var expected = JsonSerializer.Deserialize<Dictionary<string, long[]>>(NumPyScript.Run(Prelude + "\n" + build + Report, path))!;

        Dictionary<string, Tensor> loaded = Npy.LoadNpz(path);
        try
        {
            Assert.True(expected.Keys.Order().SequenceEqual(loaded.Keys.Order()), $"{name}: NumPy has {string.Join(",", expected.Keys)}, the library {string.Join(",", loaded.Keys)}");
            foreach ((string key, long[] values) in expected)
            {
                Assert.Equal(values, loaded[key].data<long>().ToArray());
                using Tensor one = Npy.LoadNpz(path, key);
                Assert.Equal(values, one.data<long>().ToArray());
            }
        }
        finally
        {
            foreach (Tensor t in loaded.Values)
                t.Dispose();
        }
        // The directory lists the same arrays, in NumPy's order without repeats.
        Assert.Equal(expected.Keys, NpzArchive.Read(path).Names);
    }

    [Fact]
    public void OpenNpz_DuplicateNames_OpensTheLaterEntryWithoutArgumentException()
    {
        string path = Path.Combine(_dir, "dup.npz");
        NumPyScript.Run(Prelude + "\n" + """
            with zipfile.ZipFile(path, 'w') as z:
                z.writestr('x.npy', npy([1, 2])); z.writestr('x.npy', npy([3, 4, 5]))
            """, path);
        using NpyMmapDataset dataset = NpyMmapDataset.OpenNpz(path);
        Assert.Equal(3, dataset.Count);
        Assert.Equal(new[] { "x" }, dataset.Names);
    }

    [Fact]
    public void LoadNpz_EntryNamedXBeforeXNpy_ByEntryNameReachesEither()
    {
        string path = Path.Combine(_dir, "both.npz");
        NumPyScript.Run(Prelude + "\n" + """
            with zipfile.ZipFile(path, 'w') as z:
                z.writestr('x.npy', npy([1, 2])); z.writestr('x', npy([3, 4]))
            """, path);
        // As NumPy: z['x'] is the entry 'x', z['x.npy'] the entry 'x.npy'.
        using Tensor x = Npy.LoadNpz(path, "x");
        using Tensor xNpy = Npy.LoadNpz(path, "x.npy");
        Assert.Equal(new long[] { 3, 4 }, x.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 2 }, xNpy.data<long>().ToArray());
    }
}
