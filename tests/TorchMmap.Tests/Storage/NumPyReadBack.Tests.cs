using System.Text.Json;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>
/// The other direction: files written by <see cref="Npy.Save"/>, <see cref="Npy.SaveNpz"/>, <see cref="NpyWriter"/>
/// and <see cref="NpyArray.Create"/> are loaded by real NumPy in one Python run, which compares dtype, shape, order
/// and every byte of the values, and for .npy files also the whole file against what <c>np.save</c> writes.
/// </summary>
[Trait("Requires", "python")]
public sealed class NumPyReadBackTests : IDisposable
{
    private const string CheckScript = """
import io, json, os, sys, zipfile
import numpy as np

d = sys.argv[1]
LOADED = {'b1': 'bool', 'i1': 'int8', 'u1': 'uint8', 'i2': 'int16', 'u2': 'int32', 'i4': 'int32', 'u4': 'int64',
          'i8': 'int64', 'f2': 'float16', 'f4': 'float32', 'f8': 'float64', 'c8': 'complex64', 'c16': 'complex128'}
problems = []
spec = json.load(open(os.path.join(d, 'expect.json')))
for e in spec['arrays']:
    path = os.path.join(d, e['file'])
    where = e['file'] + ('' if e['key'] is None else '[' + e['key'] + ']')
    try:
        if e['key'] is None:
            a = np.load(path)
        else:
            with np.load(path) as z:
                a = z[e['key']]
        fortran = bool(a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous)
        if a.dtype.str != e['descr'] or list(a.shape) != e['shape'] or fortran != e['fortran']:
            problems.append(f"{where}: {a.dtype.str} {a.shape} fortran={fortran}, expected {e['descr']} {e['shape']} fortran={e['fortran']}")
            continue
        got = np.ascontiguousarray(a.astype(np.dtype(LOADED[a.dtype.str[1:]]).newbyteorder('<'))).tobytes()
        with open(os.path.join(d, e['raw']), 'rb') as f:
            want = f.read()
        if got != want:
            problems.append(f'{where}: the values differ')
        if e['exact']:
            buf = io.BytesIO()
            np.save(buf, a)
            with open(path, 'rb') as f:
                if buf.getvalue() != f.read():
                    problems.append(f'{where}: the file differs from what np.save writes')
    except Exception as ex:
        problems.append(f'{where}: {type(ex).__name__}: {ex}')
for file, method in spec['archives'].items():
    with zipfile.ZipFile(os.path.join(d, file)) as z:
        methods = {i.compress_type for i in z.infolist()}
        if methods != {method}:
            problems.append(f'{file}: compression methods {methods}, expected {method}')
print(json.dumps({'checked': len(spec['arrays']), 'problems': problems}))
""";

    private static readonly ScalarType[] s_types =
    [
        ScalarType.Bool, ScalarType.Int8, ScalarType.Byte, ScalarType.Int16, ScalarType.Int32, ScalarType.Int64,
        ScalarType.Float16, ScalarType.Float32, ScalarType.Float64, ScalarType.ComplexFloat32, ScalarType.ComplexFloat64,
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-readback-").FullName;
    private readonly List<Expectation> _expected = [];
    private readonly Dictionary<string, int> _archives = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FilesWeWrite_LoadInNumPy_WithEqualContent()
    {
        using DisposeScope scope = NewDisposeScope();
        var random = new Random(7);
        WriteWithSave(random);
        WriteWithSaveNpz(random);
        WriteWithWriter(random);
        WriteWithCreate(random);
        File.WriteAllText(Path.Combine(_dir, "expect.json"), JsonSerializer.Serialize(new { arrays = _expected, archives = _archives }));

        using JsonDocument result = JsonDocument.Parse(NumPyScript.Run(CheckScript, _dir));

        Assert.Equal(_expected.Count, result.RootElement.GetProperty("checked").GetInt32());
        string[] problems = result.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.True(problems.Length == 0, "NumPy disagrees:\n" + string.Join('\n', problems));
    }

    private void WriteWithSave(Random random)
    {
        foreach (ScalarType type in s_types)
        {
            Tensor t = Sample(type, [5, 3, 2], random);
            Save($"save-{type}.npy", t);
            Save($"save-{type}-0d.npy", Sample(type, [], random));
            Save($"save-{type}-empty.npy", Sample(type, [0, 4], random));
            Save($"save-{type}-transposed.npy", t.transpose(0, 2));   // not contiguous: saved in C order of the view
        }
        Save("save-1d.npy", Sample(ScalarType.Float32, [11], random));

        void Save(string file, Tensor t)
        {
            Npy.Save(Path.Combine(_dir, file), t);
            Expect(file, null, NpyDType.FromScalarType(t.dtype).Descr, t.shape, false, t, exact: true);
        }
    }

    private void WriteWithSaveNpz(Random random)
    {
        var arrays = new Dictionary<string, Tensor>
        {
            ["images"] = Sample(ScalarType.Byte, [6, 2, 2], random),
            ["labels"] = Sample(ScalarType.Int64, [6], random),
            ["weights"] = Sample(ScalarType.Float16, [6, 3], random),
            ["scalar"] = Sample(ScalarType.Float64, [], random),
            ["empty"] = Sample(ScalarType.ComplexFloat32, [0, 2], random),
        };
        foreach ((string file, bool compress) in new[] { ("stored.npz", false), ("compressed.npz", true) })
        {
            Npy.SaveNpz(Path.Combine(_dir, file), arrays, compress);
            _archives[file] = compress ? 8 : 0;
            foreach ((string key, Tensor t) in arrays)
                Expect(file, key, NpyDType.FromScalarType(t.dtype).Descr, t.shape, false, t, exact: false);
        }
    }

    private void WriteWithWriter(Random random)
    {
        // Tensors appended in uneven chunks.
        Tensor rows = Sample(ScalarType.Float32, [10, 3], random);
        using (var writer = NpyWriter.Create(Path.Combine(_dir, "writer-tensors.npy"), NpyDType.Float32, [3]))
        {
            writer.Append(rows[..4]);
            writer.Append(rows[4..5]);
            writer.Append(rows[5..]);
            writer.Complete();
        }
        Expect("writer-tensors.npy", null, "<f4", [10, 3], false, rows, exact: true);

        // Spans of elements, including a widened type (uint16 loads as int32).
        ushort[] u16 = Enumerable.Range(0, 12).Select(i => (ushort)(i * 5957 % 65536)).Append((ushort)65535).Append((ushort)0).ToArray();
        using (var writer = NpyWriter.Create(Path.Combine(_dir, "writer-u2.npy"), NpyDType.UInt16, [2]))
        {
            writer.Append<ushort>(u16.AsSpan(0, 6));
            writer.Append<ushort>(u16.AsSpan(6));
            writer.Complete();
        }
        Expect("writer-u2.npy", null, "<u2", [7, 2], false, tensor(u16.Select(v => (int)v).ToArray()).reshape(7, 2), exact: true);

        // Raw bytes of a big-endian dtype.
        Tensor doubles = Sample(ScalarType.Float64, [4, 2], random);
        byte[] big = TensorBytes.Of(doubles);
        for (int i = 0; i < big.Length; i += 8)
            Array.Reverse(big, i, 8);
        using (var writer = NpyWriter.Create(Path.Combine(_dir, "writer-be.npy"), NpyDType.Parse(">f8"), [2]))
        {
            writer.Append<byte>(big);
            writer.Complete();
        }
        Expect("writer-be.npy", null, ">f8", [4, 2], false, doubles, exact: true);

        // No rows at all.
        using (var writer = NpyWriter.Create(Path.Combine(_dir, "writer-empty.npy"), NpyDType.Int16, [3, 2]))
            writer.Complete();
        Expect("writer-empty.npy", null, "<i2", [0, 3, 2], false, zeros([0, 3, 2], ScalarType.Int16), exact: true);
    }

    private void WriteWithCreate(Random random)
    {
        foreach ((string descr, ScalarType loaded, bool fortran) in new[]
        {
            ("<f4", ScalarType.Float32, false),
            (">i4", ScalarType.Int32, false),
            ("<u2", ScalarType.Int32, false),
            (">u4", ScalarType.Int64, false),
            ("<f8", ScalarType.Float64, true),
            (">c8", ScalarType.ComplexFloat32, true),
            ("|b1", ScalarType.Bool, true),
        })
        {
            string file = $"create-{descr[1..]}-{(descr[0] == '>' ? "be" : "le")}{(fortran ? "-fortran" : "")}.npy";
            NpyDType dtype = NpyDType.Parse(descr);
            Tensor values = loaded == ScalarType.Int32 && dtype.ItemSize == 2
                ? tensor(Enumerable.Range(0, 5 * 4 * 3).Select(i => i * 1091 % 65536).ToArray()).reshape(5, 4, 3)
                : loaded == ScalarType.Int64 && dtype.Kind == NpyKind.UnsignedInteger
                    ? tensor(Enumerable.Range(0, 5 * 4 * 3).Select(i => i * 71_582_788L % 4_294_967_296L).ToArray()).reshape(5, 4, 3)
                    : Sample(loaded, [5, 4, 3], random);
            using (NpyArray array = NpyArray.Create(Path.Combine(_dir, file), dtype, [5, 4, 3], fortran))
            {
                // Rows in two writes, out of order; the untouched middle row stays zero.
                array.WriteRows(3, values[3..]);
                array.WriteRows(0, values[..2]);
            }
            Tensor expected = values.clone();
            expected[2] = zeros_like(expected[2]);
            Expect(file, null, descr, [5, 4, 3], fortran, expected, exact: true);
        }
    }

    private void Expect(string file, string? key, string descr, long[] shape, bool fortran, Tensor values, bool exact)
    {
        string raw = $"{file}.{key}.expected.raw";
        File.WriteAllBytes(Path.Combine(_dir, raw), TensorBytes.Of(values));
        _expected.Add(new Expectation(file, key, descr, shape, fortran, raw, exact));
    }

    /// <summary>Deterministic values of a type, with extremes and special floats first.</summary>
    internal static Tensor Sample(ScalarType type, long[] shape, Random random)
    {
        int n = (int)shape.Aggregate(1L, (a, b) => a * b);
        double[] Doubles()
        {
            double[] v = Enumerable.Range(0, n).Select(_ => (random.NextDouble() - 0.5) * 2000).ToArray();
            double[] special = [double.NaN, double.PositiveInfinity, -0.0, double.NegativeInfinity, 1e-42];
            for (int i = 0; i < Math.Min(n, special.Length); i++)
                v[i] = special[i];
            return v;
        }
        long[] Longs(long min, long max)
        {
            long[] v = Enumerable.Range(0, n).Select(_ => random.NextInt64(min, max)).ToArray();
            if (n >= 2)
                (v[0], v[1]) = (min, max);
            return v;
        }
        Tensor flat = type switch
        {
            ScalarType.Bool => tensor(Enumerable.Range(0, n).Select(_ => random.Next(2) == 1).ToArray()),
            ScalarType.Int8 => tensor(Longs(sbyte.MinValue, sbyte.MaxValue)).to(type),
            ScalarType.Byte => tensor(Longs(byte.MinValue, byte.MaxValue)).to(type),
            ScalarType.Int16 => tensor(Longs(short.MinValue, short.MaxValue)).to(type),
            ScalarType.Int32 => tensor(Longs(int.MinValue, int.MaxValue)).to(type),
            ScalarType.Int64 => tensor(Longs(long.MinValue, long.MaxValue)),
            ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64 => tensor(Doubles()).to(type),
            _ => complex(tensor(Doubles()), tensor(Doubles())).to(type),
        };
        return flat.reshape(shape);
    }

    private sealed record Expectation(
        [property: System.Text.Json.Serialization.JsonPropertyName("file")] string File,
        [property: System.Text.Json.Serialization.JsonPropertyName("key")] string? Key,
        [property: System.Text.Json.Serialization.JsonPropertyName("descr")] string Descr,
        [property: System.Text.Json.Serialization.JsonPropertyName("shape")] long[] Shape,
        [property: System.Text.Json.Serialization.JsonPropertyName("fortran")] bool Fortran,
        [property: System.Text.Json.Serialization.JsonPropertyName("raw")] string Raw,
        [property: System.Text.Json.Serialization.JsonPropertyName("exact")] bool Exact);
}
