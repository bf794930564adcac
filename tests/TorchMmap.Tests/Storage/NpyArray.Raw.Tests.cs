using System.Text.Json;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>Headerless files written by real NumPy's <c>np.memmap</c> (every dtype, both byte orders, offsets, C and Fortran
/// order), read with <see cref="NpyArray.OpenRaw"/>; each is compared with the values NumPy dumps as TorchMmap should load them.</summary>
public sealed class NpyArrayRawNumPyFiles : IDisposable
{
    private const string Script = """
import json, os, sys
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(20261128)
LOADED = {'b1': 'bool', 'i1': 'int8', 'u1': 'uint8', 'i2': 'int16', 'u2': 'int32', 'i4': 'int32', 'u4': 'int64',
          'i8': 'int64', 'f2': 'float16', 'f4': 'float32', 'f8': 'float64', 'c8': 'complex64', 'c16': 'complex128'}
cases = []
def values(code, n):
    if code == 'b1':
        return rng.integers(0, 2, n).astype(bool)
    if code[0] in 'iu':
        info = np.iinfo(code)
        return rng.integers(info.min, info.max, n, endpoint=True, dtype=np.dtype(code))
    if code[0] == 'f':
        return (rng.standard_normal(n) * 100).astype(code)
    part = 'f4' if code == 'c8' else 'f8'
    return (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(code)
for code in LOADED:
    orders = ['|'] if code in ('b1', 'i1', 'u1') else ['<', '>']
    for bo in orders:
        dt = np.dtype(bo + code)
        for offset in (0, 7, 1000):
            for order in ('C', 'F'):
                name = f'{code}-{"be" if bo == ">" else "le"}-{offset}-{order}.bin'
                v = values(code, 15).reshape(5, 3).astype(dt)
                m = np.memmap(os.path.join(out, name), dtype=dt, mode='w+', offset=offset, shape=(5, 3), order=order)
                m[:] = v
                m.flush()
                del m
                # What TorchMmap loads: C order, native (little-endian) bytes, uint16/uint32 widened.
                np.ascontiguousarray(v).astype(LOADED[code]).tofile(os.path.join(out, name + '.expected'))
                cases.append({'file': name, 'descr': dt.str, 'offset': offset, 'fortran': order == 'F', 'shape': [5, 3], 'loaded': LOADED[code]})
        # shape=None: 1-D, inferred from the bytes after the offset.
        name = f'{code}-{"be" if bo == ">" else "le"}-inferred.bin'
        v = values(code, 11).astype(dt)
        with open(os.path.join(out, name), 'wb') as f:
            f.write(b'\x01' * 24)
            f.write(v.tobytes())
        m = np.memmap(os.path.join(out, name), dtype=dt, mode='r', offset=24)
        assert m.shape == (11,)
        np.asarray(m).astype(LOADED[code]).tofile(os.path.join(out, name + '.expected'))
        cases.append({'file': name, 'descr': dt.str, 'offset': 24, 'fortran': False, 'shape': None, 'loaded': LOADED[code]})
json.dump(cases, open(os.path.join(out, 'cases.json'), 'w'))
""";

    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    public NpyArrayRawNumPyFiles()
    {
        Dir = Directory.CreateTempSubdirectory("torchmmap-raw-").FullName;
        NumPyScript.Run(Script, Dir);
        Cases = JsonSerializer.Deserialize<List<RawCase>>(File.ReadAllText(Path.Combine(Dir, "cases.json")), s_json)!;
    }

    public string Dir { get; }

    public IReadOnlyList<RawCase> Cases { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public sealed record RawCase(string File, string Descr, long Offset, bool Fortran, long[]? Shape, string Loaded);
}

[Trait("Requires", "python")]
public sealed class NpyArrayRawTests : IClassFixture<NpyArrayRawNumPyFiles>, IDisposable
{
    private readonly NpyArrayRawNumPyFiles _numpy;
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-rawtests-").FullName;

    public NpyArrayRawTests(NpyArrayRawNumPyFiles numpy) => _numpy = numpy;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void OpenRaw_NpMemmapFilesOfEveryDTypeOrderOffsetAndLayout_ReadByteExact()
    {
        // 3 one-byte dtypes in one order and 10 wider ones in two, each at 3 offsets in 2 layouts plus one inferred 1-D file.
        Assert.Equal((3 + 10 * 2) * (3 * 2 + 1), _numpy.Cases.Count);
        foreach (NpyArrayRawNumPyFiles.RawCase c in _numpy.Cases)
        {
            string path = Path.Combine(_numpy.Dir, c.File);
            using NpyArray array = NpyArray.OpenRaw(path, NpyDType.Parse(c.Descr), NpyMode.ReadOnly, c.Offset, c.Shape, c.Fortran);
            Assert.True(array.IsRaw);
            Assert.Equal(c.Offset, array.DataStart);
            Assert.Equal(c.Shape ?? [11], array.Shape);
            Assert.Equal(NumPyFiles.ScalarTypeOf(c.Loaded), array.DType.ScalarType);
            byte[] expected = File.ReadAllBytes(path + ".expected");
            using (Tensor all = array.ToTensor())
                TensorBytes.Equal(expected, TensorBytes.Of(all), c.File + " ToTensor");
            using (Tensor rows = array.ReadRows(1, 3))
                TensorBytes.Equal(expected[(expected.Length / (int)array.Length)..(expected.Length / (int)array.Length * 4)], TensorBytes.Of(rows), c.File + " ReadRows");
            long[] order = [4, 0, 2, 2];
            using Tensor gathered = array.Gather(order);
            int rowBytes = expected.Length / (int)array.Length;
            byte[] expectedRows = order.SelectMany(i => expected.Skip((int)i * rowBytes).Take(rowBytes)).ToArray();
            TensorBytes.Equal(expectedRows, TensorBytes.Of(gathered), c.File + " Gather");
        }
    }

    [Theory]
    [InlineData("<f4", 0, false)]
    [InlineData(">i8", 13, false)]
    [InlineData("<u2", 64, true)]
    [InlineData(">c16", 5, true)]
    [InlineData("|b1", 3, false)]
    public void CreateRaw_WrittenThroughTheMapping_NumPyMemmapReadsTheSameValues(string descr, long offset, bool fortran)
    {
        string path = PathOf($"created{offset}.bin");
        NpyDType dtype = NpyDType.Parse(descr);
        using Tensor values = dtype.Kind switch
        {
            NpyKind.Bool => torch.tensor(new[] { true, false, true, true, false, false, true, false, true, true, true, false }).reshape(4, 3),
            NpyKind.Complex => torch.complex(torch.arange(12, dtype: ScalarType.Float64), torch.arange(12, dtype: ScalarType.Float64).neg()).reshape(4, 3),
            _ => (torch.arange(12, dtype: ScalarType.Int64) * 1000 + 7).to_type(dtype.ScalarType).reshape(4, 3),
        };
        using (NpyArray created = NpyArray.CreateRaw(path, dtype, [4, 3], offset, fortran))
        {
            Assert.Equal(NpyMode.ReadWrite, created.Mode);
            created.WriteRows(0, values);
        }
        Assert.Equal(offset + 12 * dtype.ItemSize, new FileInfo(path).Length);
        Assert.All(File.ReadAllBytes(path).Take((int)offset), b => Assert.Equal(0, b));
        string dumped = Path.Combine(_dir, "dumped.raw");
        NumPyScript.Run("""
import sys, numpy as np
path, descr, offset, order, out = sys.argv[1:]
m = np.memmap(path, dtype=np.dtype(descr), mode='r', offset=int(offset), shape=(4, 3), order=order)
loaded = {'u2': 'int32', 'u4': 'int64'}.get(np.dtype(descr).str[1:], np.dtype(descr).newbyteorder('=').name)
np.ascontiguousarray(m).astype(loaded).tofile(out)
""", path, descr, offset.ToString(System.Globalization.CultureInfo.InvariantCulture), fortran ? "F" : "C", dumped);
        TensorBytes.Equal(File.ReadAllBytes(dumped), TensorBytes.Of(values), descr);
        using NpyArray reopened = NpyArray.OpenRaw(path, dtype, NpyMode.ReadOnly, offset, [4, 3], fortran);
        using Tensor back = reopened.ToTensor();
        TensorBytes.Equal(TensorBytes.Of(values), TensorBytes.Of(back), descr + " reopened");
    }

    [Fact]
    public void OpenRaw_ReadWriteMode_WritesReachTheFile()
    {
        string path = PathOf("rw.bin");
        File.WriteAllBytes(path, new byte[8 + 6 * 4]);
        using (NpyArray rw = NpyArray.OpenRaw(path, NpyDType.Int32, NpyMode.ReadWrite, offset: 8, shape: [2, 3]))
        {
            using Tensor row = torch.tensor(new[] { 1, 2, 3 }).reshape(1, 3);
            rw.WriteRows(1, row);
        }
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0 }, bytes[20..32]);
    }

    [Fact]
    public void OpenRaw_CopyOnWriteMode_LeavesTheFileUnchanged()
    {
        string path = PathOf("cow.bin");
        File.WriteAllBytes(path, new byte[12]);
        using (NpyArray cow = NpyArray.OpenRaw(path, NpyDType.Int32, NpyMode.CopyOnWrite))
        {
            using Tensor row = torch.tensor(new[] { 5, 6, 7 });
            cow.WriteRows(0, row);
            using Tensor read = cow.ToTensor();
            Assert.Equal(new[] { 5, 6, 7 }, read.data<int>().ToArray());
        }
        Assert.All(File.ReadAllBytes(path), b => Assert.Equal(0, b));
    }

    [Fact]
    public void OpenRaw_NpyFile_IsReadAsRawBytesNotGuessed()
    {
        string path = PathOf("real.npy");
        using (Tensor t = torch.arange(4, dtype: ScalarType.Int64))
            Npy.Save(path, t);
        using NpyArray raw = NpyArray.OpenRaw(path, NpyDType.UInt8);
        Assert.Equal(new FileInfo(path).Length, raw.Length);
        using Tensor bytes = raw.ReadRows(0, 6);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }, bytes.data<byte>().ToArray());
    }

    [Fact]
    public void Open_RawFileNamedNpy_IsRefusedAsNotNpyButOpensRaw()
    {
        string path = PathOf("olmo.npy");
        File.WriteAllBytes(path, [1, 0, 2, 0, 3, 0]);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => NpyArray.Open(path));
        Assert.Contains(path, e.Message);
        using NpyArray raw = NpyArray.OpenRaw(path, NpyDType.Parse("<u2"));
        using Tensor t = raw.ToTensor();
        Assert.Equal(new[] { 1, 2, 3 }, t.data<int>().ToArray());
    }

    [Fact]
    public void OpenRaw_FileShorterThanOffsetPlusShape_ThrowsNamingTheFile()
    {
        string path = PathOf("short.bin");
        File.WriteAllBytes(path, new byte[100]);
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.OpenRaw(path, NpyDType.Float32, offset: 8, shape: [5, 5]));
        Assert.Contains(path, e.Message);
        Assert.Contains("100", e.Message);
    }

    [Fact]
    public void OpenRaw_OffsetPastTheEnd_ThrowsNamingTheFile()
    {
        string path = PathOf("past.bin");
        File.WriteAllBytes(path, new byte[10]);
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.OpenRaw(path, NpyDType.UInt8, offset: 11));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OpenRaw_InferredShapeNotWholeElements_ThrowsNamingTheFile()
    {
        string path = PathOf("odd.bin");
        File.WriteAllBytes(path, new byte[10]);
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.OpenRaw(path, NpyDType.Int32));
        Assert.Contains(path, e.Message);
        Assert.Contains("whole number", e.Message);
    }

    [Fact]
    public void OpenRaw_EmptyFile_ThrowsNamingTheFile()
    {
        string path = PathOf("empty.bin");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<InvalidDataException>(() => NpyArray.OpenRaw(path, NpyDType.UInt8));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OpenRaw_NegativeOffset_ThrowsArgumentOutOfRangeNamingTheFile()
    {
        string path = PathOf("neg.bin");
        File.WriteAllBytes(path, new byte[10]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NpyArray.OpenRaw(path, NpyDType.UInt8, offset: -1));
        Assert.Equal("offset", e.ParamName);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(new long[] { 3, -1 })]
    [InlineData(new long[] { long.MaxValue / 2, 3 })]
    [InlineData(new long[] { 0, long.MaxValue, 3 })]
    public void OpenRaw_NegativeOrOverflowingShape_ThrowsArgumentOutOfRangeNamingTheFile(long[] shape)
    {
        string path = PathOf("shape.bin");
        File.WriteAllBytes(path, new byte[10]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NpyArray.OpenRaw(path, NpyDType.Float64, shape: shape));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OpenRaw_Directory_ThrowsIOExceptionNamingIt()
    {
        var e = Assert.Throws<IOException>(() => NpyArray.OpenRaw(_dir, NpyDType.UInt8));
        Assert.Contains(_dir, e.Message);
    }

    [Fact]
    public void OpenRaw_MissingFile_ThrowsFileNotFoundNamingIt()
    {
        string path = PathOf("missing.bin");
        var e = Assert.Throws<FileNotFoundException>(() => NpyArray.OpenRaw(path, NpyDType.UInt8));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void CreateRaw_ReplacesAnExistingFile()
    {
        string path = PathOf("replace.bin");
        File.WriteAllBytes(path, new byte[1000]);
        using (NpyArray created = NpyArray.CreateRaw(path, NpyDType.Int16, [3]))
            Assert.Equal(3, created.Length);
        Assert.Equal(6, new FileInfo(path).Length);
    }
}

public sealed class NpyArrayRawDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-rawdata-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Loader_RawShardsAndARawLabelFile_BatchesEqualTheRowsWritten()
    {
        // Images (N, 2, 3) float32 in two headerless shards of 30 and 13 rows at offset 64; labels one raw int64 file.
        var images = new List<NpyArray>();
        long start = 0;
        foreach (long rows in new long[] { 30, 13 })
        {
            string path = Path.Combine(_dir, $"x{images.Count}.bin");
            using (NpyArray created = NpyArray.CreateRaw(path, NpyDType.Float32, [rows, 2, 3], offset: 64))
            using (Tensor values = torch.arange(start * 6, (start + rows) * 6, dtype: ScalarType.Float32).reshape(rows, 2, 3))
                created.WriteRows(0, values);
            images.Add(NpyArray.OpenRaw(path, NpyDType.Float32, offset: 64, shape: [rows, 2, 3]));
            start += rows;
        }
        string labelsPath = Path.Combine(_dir, "y.bin");
        using (NpyArray created = NpyArray.CreateRaw(labelsPath, NpyDType.Int64, [43]))
        using (Tensor values = torch.arange(43, dtype: ScalarType.Int64))
            created.WriteRows(0, values);
        using NpyArray labels = NpyArray.OpenRaw(labelsPath, NpyDType.Int64);
        try
        {
            using var dataset = TorchMmap.Data.NpyMmapDataset.FromShards(("image", images), ("label", [labels]));
            using var loader = new TorchMmap.Data.NpyDataLoader(dataset, batchSize: 8, shuffle: true, seed: 3, num_workers: 2);
            long seen = 0;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                long[] label = batch["label"].data<long>().ToArray();
                float[] image = batch["image"].data<float>().ToArray();
                for (int r = 0; r < label.Length; r++)
                    Assert.Equal(Enumerable.Range(0, 6).Select(k => (float)(label[r] * 6 + k)), image[(r * 6)..((r + 1) * 6)]);
                seen += label.Length;
            }
            Assert.Equal(43, seen);
        }
        finally
        {
            foreach (NpyArray a in images)
                a.Dispose();
        }
    }
}
