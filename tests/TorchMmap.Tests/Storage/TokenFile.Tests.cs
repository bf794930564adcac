using System.Text.Json;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Storage;

/// <summary>Token files written by real NumPy the way each project writes them: nanoGPT's <c>prepare.py</c> (<c>np.memmap</c>
/// uint16, mode w+), OLMo-style headerless arrays of every width in both byte orders (named <c>.npy</c>), llm.c shards following
/// <c>dev/data/data_common.py</c>'s header layout, and 1-D <c>np.save</c> arrays. NumPy dumps each file's tokens as int64.</summary>
public sealed class TokenNumPyFiles : IDisposable
{
    private const string Script = """
import json, os, sys
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(15)
cases = []
def dump(name, tokens, fmt, dtype=None):
    np.asarray(tokens).astype(np.int64).tofile(os.path.join(out, name + '.expected'))
    cases.append({'file': name, 'format': fmt, 'dtype': dtype, 'count': int(len(tokens))})

# nanoGPT prepare.py: np.memmap(filename, dtype=np.uint16, mode='w+', shape=(arr_len,)), then filled.
t = rng.integers(0, 50257, 3001).astype(np.uint16)
m = np.memmap(os.path.join(out, 'train.bin'), dtype=np.uint16, mode='w+', shape=(len(t),))
m[:] = t
m.flush()
del m
dump('train.bin', t, 'Raw')

# OLMo-style: headerless arrays named .npy, every width, both byte orders.
for code, hi in (('u1', 256), ('u2', 65536), ('u4', 2**32), ('u8', 2**63), ('i4', 2**31), ('i8', 2**62)):
    for bo in (['|'] if code == 'u1' else ['<', '>']):
        dt = np.dtype(bo + code)
        t = rng.integers(0, hi, 257, dtype=np.uint64).astype(dt)
        t[0] = hi - 1
        name = f'olmo-{code}-{"be" if bo == ">" else "le"}.npy'
        t.tofile(os.path.join(out, name))
        dump(name, t.astype(dt.newbyteorder('=')).astype(np.uint64).astype(np.int64), 'Raw', dt.str)

# llm.c shards, the header as data_common.write_datafile lays it out.
def shard(name, toks, magic, version, dtype):
    header = np.zeros(256, dtype=np.int32)
    header[0] = magic
    header[1] = version
    header[2] = len(toks)
    with open(os.path.join(out, name), 'wb') as f:
        f.write(header.tobytes())
        f.write(np.array(toks, dtype=dtype).tobytes())
    dump(name, np.array(toks, dtype=dtype), 'Llmc')
for i, n in enumerate((500, 3, 1200)):
    shard(f'gpt2_{i:06d}.bin', rng.integers(0, 50257, n), 20240520, 1, np.uint16)
shard('llama3_000000.bin', rng.integers(0, 128256, 700), 20240801, 7, np.uint32)

# 1-D .npy token arrays.
for code in ('<u2', '<i4', '>i8', '|u1'):
    t = rng.integers(0, 200, 99).astype(code)
    name = f'tokens-{code[1:]}{"-be" if code[0] == ">" else ""}-array.npy'
    np.save(os.path.join(out, name), t)
    dump(name, t, 'Npy')
json.dump(cases, open(os.path.join(out, 'cases.json'), 'w'))
""";

    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    public TokenNumPyFiles()
    {
        Dir = Directory.CreateTempSubdirectory("torchmmap-tokens-").FullName;
        NumPyScript.Run(Script, Dir);
        Cases = JsonSerializer.Deserialize<List<TokenCase>>(File.ReadAllText(Path.Combine(Dir, "cases.json")), s_json)!;
    }

    public string Dir { get; }

    public IReadOnlyList<TokenCase> Cases { get; }

    public string PathOf(string name) => Path.Combine(Dir, name);

    public long[] Expected(string name)
    {
        byte[] bytes = File.ReadAllBytes(PathOf(name) + ".expected");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes).ToArray();
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public sealed record TokenCase(string File, string Format, string? Dtype, long Count);
}

[Trait("Requires", "python")]
public sealed class TokenFileTests : IClassFixture<TokenNumPyFiles>, IDisposable
{
    private readonly TokenNumPyFiles _numpy;
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-tokenfile-").FullName;

    public TokenFileTests(TokenNumPyFiles numpy) => _numpy = numpy;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Open_EveryFormatNumPyWrote_ReadsTheSameTokens()
    {
        Assert.Equal(1 + 11 + 4 + 4, _numpy.Cases.Count);
        foreach (TokenNumPyFiles.TokenCase c in _numpy.Cases)
        {
            using TokenFile file = TokenFile.Open(_numpy.PathOf(c.File), Enum.Parse<TokenFileFormat>(c.Format), c.Dtype);
            Assert.Equal(c.Count, file.Count);
            using TokenStream stream = TokenStream.FromFiles([file]);
            Assert.Equal(_numpy.Expected(c.File), stream.Read(0, (int)c.Count));
        }
    }

    [Fact]
    public void OpenLlmc_BothVersions_ReportTheirHeader()
    {
        using TokenFile gpt2 = TokenFile.OpenLlmc(_numpy.PathOf("gpt2_000000.bin"));
        Assert.Equal(20240520, gpt2.LlmcHeader!.Magic);
        Assert.Equal(1, gpt2.LlmcHeader.Version);
        Assert.Equal("<u2", gpt2.DType.Descr);
        Assert.Equal(1024, gpt2.DataStart);
        using TokenFile llama = TokenFile.OpenLlmc(_numpy.PathOf("llama3_000000.bin"));
        Assert.Equal(7, llama.LlmcHeader!.Version);
        Assert.Equal("<u4", llama.DType.Descr);
    }

    [Fact]
    public void TokenStream_ShardsInOrder_ReadAsOneStreamAcrossBoundaries()
    {
        string[] names = ["gpt2_000000.bin", "gpt2_000001.bin", "gpt2_000002.bin"];
        long[] all = names.SelectMany(_numpy.Expected).ToArray();
        using TokenStream stream = TokenStream.OpenLlmc(names.Select(_numpy.PathOf).ToArray());
        Assert.Equal(1703, stream.Count);
        Assert.Equal(all, stream.Read(0, all.Length));
        // Ranges that start in one shard, cross the 3-token shard, and end in the last.
        Assert.Equal(all[498..505], stream.Read(498, 7));
        Assert.Equal(all[500..503], stream.Read(500, 3));
        Assert.Equal(all[1702..], stream.Read(1702, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Read(1700, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Read(-1, 1));
    }

    [Fact]
    public void TokenStream_MixedFormats_ReadInOrder()
    {
        using TokenFile a = TokenFile.OpenNanoGpt(_numpy.PathOf("train.bin"));
        using TokenFile b = TokenFile.OpenLlmc(_numpy.PathOf("llama3_000000.bin"));
        using TokenFile c = TokenFile.OpenRaw(_numpy.PathOf("olmo-u8-be.npy"), TokenFile.ParseDType(">u8"));
        using TokenStream stream = TokenStream.FromFiles([a, b, c]);
        long[] expected = [.. _numpy.Expected("train.bin"), .. _numpy.Expected("llama3_000000.bin"), .. _numpy.Expected("olmo-u8-be.npy")];
        Assert.Equal(expected, stream.Read(0, expected.Length));
    }

    [Fact]
    public void Read_UInt64TokenAboveInt64_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_dir, "big.bin");
        byte[] bytes = new byte[24];
        bytes[23] = 0x80;   // third token, little endian: 2^63
        File.WriteAllBytes(path, bytes);
        using TokenFile file = TokenFile.OpenRaw(path, TokenFile.ParseDType("uint64"));
        using TokenStream stream = TokenStream.FromFiles([file]);
        Assert.Equal([0L, 0L], stream.Read(0, 2));
        var e = Assert.Throws<InvalidDataException>(() => stream.Read(0, 3));
        Assert.Contains(path, e.Message);
        Assert.Contains("9223372036854775808", e.Message);
    }

    [Fact]
    public void OpenNpy_TwoDimensionalArray_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_dir, "2d.npy");
        using (var t = TorchSharp.torch.zeros(3, 4, dtype: TorchSharp.torch.ScalarType.Int32))
            Npy.Save(path, t);
        var e = Assert.Throws<InvalidDataException>(() => TokenFile.OpenNpy(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("1-d", e.Message);
    }

    [Fact]
    public void OpenNpy_FloatArray_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_dir, "f.npy");
        using (var t = TorchSharp.torch.zeros(3))
            Npy.Save(path, t);
        var e = Assert.Throws<InvalidDataException>(() => TokenFile.OpenNpy(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OpenLlmc_RawNanoGptFile_IsRefusedNotGuessed()
    {
        var e = Assert.Throws<InvalidDataException>(() => TokenFile.OpenLlmc(_numpy.PathOf("train.bin")));
        Assert.Contains("train.bin", e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void OpenNpy_RawFileNamedNpy_IsRefusedNotGuessed()
    {
        var e = Assert.Throws<InvalidDataException>(() => TokenFile.OpenNpy(_numpy.PathOf("olmo-u2-le.npy")));
        Assert.Contains("olmo-u2-le.npy", e.Message);
    }

    [Fact]
    public void OpenNanoGpt_OddLength_ThrowsNamingTheFile()
    {
        string path = Path.Combine(_dir, "odd.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => TokenFile.OpenNanoGpt(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Open_DTypeForAFormatThatRecordsItsOwn_ThrowsArgumentException()
    {
        var e = Assert.Throws<ArgumentException>(() => TokenFile.Open(_numpy.PathOf("gpt2_000000.bin"), TokenFileFormat.Llmc, "uint32"));
        Assert.Equal("dtype", e.ParamName);
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("<f4")]
    [InlineData("?")]
    [InlineData("nonsense")]
    public void ParseDType_NotAnInteger_ThrowsArgumentException(string dtype) =>
        Assert.Equal("dtype", Assert.Throws<ArgumentException>(() => TokenFile.ParseDType(dtype)).ParamName);

    [Fact]
    public void OpenLlmc_Directory_ThrowsIOExceptionNamingIt()
    {
        var e = Assert.Throws<IOException>(() => TokenFile.OpenLlmc(_dir));
        Assert.Contains(_dir, e.Message);
    }
}
