using System.Text.Json;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Storage;

/// <summary>
/// Files written by real NumPy in one Python run: every supported dtype in each byte order, C and Fortran order,
/// 0-d, empty, format versions 2.0 and 3.0, and stored and compressed .npz archives. Beside each file NumPy dumps
/// the values as TorchMmap should load them (C order, little endian, uint16/uint32 widened) and, for arrays with rows,
/// the rows of a fancy-indexed batch <c>x[idx]</c>; the tests compare against those dumps, never against constants.
/// </summary>
public sealed class NumPyFiles : IDisposable
{
    private const string Script = """
import json, os, sys
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(20261126)
# What each dtype loads as in TorchMmap: uint16 and uint32 widen losslessly, the rest keep their type.
LOADED = {'b1': 'bool', 'i1': 'int8', 'u1': 'uint8', 'i2': 'int16', 'u2': 'int32', 'i4': 'int32', 'u4': 'int64',
          'i8': 'int64', 'f2': 'float16', 'f4': 'float32', 'f8': 'float64', 'c8': 'complex64', 'c16': 'complex128'}
CODES = list(LOADED)

def values(code, shape):
    n = int(np.prod(shape))
    kind = code[0]
    if kind == 'b':
        v = rng.integers(0, 2, n).astype(bool)
    elif kind in 'iu':
        info = np.iinfo(code)
        v = rng.integers(info.min, info.max, n, endpoint=True, dtype=np.dtype(code))
        v[:min(n, 2)] = [info.min, info.max][:min(n, 2)]
    elif kind == 'f':
        v = (rng.standard_normal(n) * 100).astype(code)
        special = np.array([np.inf, -np.inf, np.nan, -0.0, np.finfo(code).tiny / 4, np.finfo(code).max], dtype=code)
        v[:min(n, len(special))] = special[:min(n, len(special))]
    else:
        part = 'f4' if code == 'c8' else 'f8'
        v = (rng.standard_normal(n).astype(part) + 1j * rng.standard_normal(n).astype(part)).astype(code)
        if n >= 2:
            v[0] = complex(np.inf, -0.0)
            v[1] = complex(np.nan, 1.5)
    return v.reshape(shape)

manifest = {'arrays': [], 'npz': []}

def raw(a):
    code = a.dtype.str[1:]
    return np.ascontiguousarray(a.astype(np.dtype(LOADED[code]).newbyteorder('<')))

def save(name, a, version=None):
    path = os.path.join(out, name + '.npy')
    if version is None:
        np.save(path, a)
    else:
        with open(path, 'wb') as f:
            np.lib.format.write_array(f, a, version=version)
    raw(a).tofile(os.path.join(out, name + '.raw'))
    entry = {'name': name, 'descr': a.dtype.str, 'shape': list(a.shape), 'fortran': bool(a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous),
             'loaded': LOADED[a.dtype.str[1:]], 'npSave': version is None, 'indices': []}
    if a.ndim > 0 and a.shape[0] > 0:
        n = a.shape[0]
        # Any order, repeats, the last row, then random picks with repeats.
        idx = [n - 1, 0, n // 2, n // 2, n - 1, 1 % n] + [int(i) for i in rng.integers(0, n, 2 * n)]
        entry['indices'] = idx
        raw(a[idx]).tofile(os.path.join(out, name + '.gather.raw'))
    manifest['arrays'].append(entry)
    return a

for code in CODES:
    orders = ['|'] if code in ('b1', 'i1', 'u1') else ['<', '>']
    for order in orders:
        dt = np.dtype(order + code) if order != '|' else np.dtype(code)
        tag = {'<': 'le', '>': 'be', '|': 'na'}[order]
        base = values(code, (7, 3, 2)).astype(dt)
        save(f'{code}-{tag}', base)
        save(f'{code}-{tag}-1d', values(code, (9,)).astype(dt))
        save(f'{code}-{tag}-fortran', np.asfortranarray(values(code, (6, 4, 3)).astype(dt)))
        save(f'{code}-{tag}-fortran2d', np.asfortranarray(values(code, (5, 3)).astype(dt)))
        save(f'{code}-{tag}-0d', values(code, ()).astype(dt))
        save(f'{code}-{tag}-empty', np.zeros((0, 3), dtype=dt))

save('f4-le-v2', values('f4', (4, 5)).astype('<f4'), version=(2, 0))
save('u4-be-v2', values('u4', (4, 5)).astype('>u4'), version=(2, 0))
save('f8-le-v3', values('f8', (4, 5)).astype('<f8'), version=(3, 0))
save('i2-be-v3', values('i2', (4, 5)).astype('>i2'), version=(3, 0))
save('i8-le-zero-rows-elements', np.zeros((3, 0, 2), dtype='<i8'))
save('u1-empty-1d', np.zeros((0,), dtype='u1'))

members = {'a': '<f4', 'b': '>i8', 'c': '<u2', 'd': '|b1', 'e': '>c16'}
arrays = {}
for key, descr in members.items():
    arrays[key] = values(np.dtype(descr).str[1:], (5, 4)).astype(descr)
arrays['fortran'] = np.asfortranarray(values('f8', (4, 3)).astype('>f8'))
arrays['scalar'] = np.array(2.5, dtype='<f8')
arrays['empty'] = np.zeros((0, 2), dtype='<i4')
for key, a in arrays.items():
    raw(a).tofile(os.path.join(out, 'npz-' + key + '.raw'))
np.savez(os.path.join(out, 'stored.npz'), **arrays)
np.savez_compressed(os.path.join(out, 'compressed.npz'), **arrays)
for file in ('stored', 'compressed'):
    manifest['npz'].append({'file': file + '.npz', 'arrays': [{'name': k, 'descr': a.dtype.str, 'shape': list(a.shape), 'loaded': LOADED[a.dtype.str[1:]]} for k, a in arrays.items()]})

with open(os.path.join(out, 'manifest.json'), 'w') as f:
    json.dump(manifest, f)
print(np.__version__)
""";

    public NumPyFiles()
    {
        Dir = Directory.CreateTempSubdirectory("torchmmap-numpy-").FullName;
        NumPyScript.Run(Script, Dir);
        Manifest manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(System.IO.Path.Combine(Dir, "manifest.json")))
            ?? throw new InvalidOperationException("The NumPy script wrote an empty manifest.");
        Arrays = manifest.Arrays;
        Archives = manifest.Npz;
    }

    /// <summary>The folder holding the files; deleted on dispose.</summary>
    public string Dir { get; }

    /// <summary>Every .npy file NumPy wrote.</summary>
    public IReadOnlyList<ArrayFile> Arrays { get; }

    /// <summary>The stored and the compressed .npz archive, holding the same arrays.</summary>
    public IReadOnlyList<ArchiveFile> Archives { get; }

    /// <summary>The full path of a file in <see cref="Dir"/>.</summary>
    public string PathOf(string file) => System.IO.Path.Combine(Dir, file);

    /// <summary>The tensor type a NumPy dtype name loads as, per the format's specification.</summary>
    public static ScalarType ScalarTypeOf(string numpyName) => numpyName switch
    {
        "bool" => ScalarType.Bool,
        "int8" => ScalarType.Int8,
        "uint8" => ScalarType.Byte,
        "int16" => ScalarType.Int16,
        "int32" => ScalarType.Int32,
        "int64" => ScalarType.Int64,
        "float16" => ScalarType.Float16,
        "float32" => ScalarType.Float32,
        "float64" => ScalarType.Float64,
        "complex64" => ScalarType.ComplexFloat32,
        "complex128" => ScalarType.ComplexFloat64,
        _ => throw new ArgumentOutOfRangeException(nameof(numpyName), numpyName, "Not a loadable NumPy dtype."),
    };

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public sealed record Manifest(
        [property: JsonPropertyName("arrays")] List<ArrayFile> Arrays,
        [property: JsonPropertyName("npz")] List<ArchiveFile> Npz);

    /// <summary>One .npy file: <c>name.npy</c>, its values in <c>name.raw</c>, and <c>x[Indices]</c> in <c>name.gather.raw</c>.</summary>
    public sealed record ArrayFile(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("descr")] string Descr,
        [property: JsonPropertyName("shape")] long[] Shape,
        [property: JsonPropertyName("fortran")] bool Fortran,
        [property: JsonPropertyName("loaded")] string Loaded,
        [property: JsonPropertyName("npSave")] bool WrittenByNpSave,
        [property: JsonPropertyName("indices")] long[] Indices)
    {
        public override string ToString() => $"{Name} ({Descr} {string.Join('x', Shape)}{(Fortran ? " F" : "")})";
    }

    /// <summary>An .npz archive; each array's values are in <c>npz-name.raw</c>.</summary>
    public sealed record ArchiveFile(
        [property: JsonPropertyName("file")] string File,
        [property: JsonPropertyName("arrays")] List<ArchiveMember> Arrays);

    /// <summary>One array of an .npz archive.</summary>
    public sealed record ArchiveMember(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("descr")] string Descr,
        [property: JsonPropertyName("shape")] long[] Shape,
        [property: JsonPropertyName("loaded")] string Loaded);
}

/// <summary>Test classes that share one run of the NumPy writer.</summary>
[CollectionDefinition(Name)]
public sealed class NumPyFilesCollection : ICollectionFixture<NumPyFiles>
{
    public const string Name = "NumPy files";
}
