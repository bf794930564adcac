using System.Globalization;
using System.Runtime.InteropServices;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Format;

public sealed class TokenWriterTests : IDisposable
{
    // Reads a token file the way each project does and dumps its tokens as int64: np.memmap for raw files (nanoGPT's
    // get_batch), np.load for .npy, and for llm.c shards the header checks of llmc/dataloader.h (magic, version, exact size).
    private const string ReadBack = """
import sys
import numpy as np
path, fmt, dtype, out = sys.argv[1:]
if fmt == 'Raw':
    t = np.memmap(path, dtype=np.dtype(dtype), mode='r')
    assert (np.fromfile(path, dtype=np.dtype(dtype)) == t).all()
elif fmt == 'Npy':
    t = np.load(path, mmap_mode='r')
    assert t.ndim == 1 and t.dtype == np.dtype(dtype), (t.shape, t.dtype)
else:
    header = np.fromfile(path, dtype='<i4', count=256)
    kinds = {20240520: (1, '<u2'), 20240801: (7, '<u4')}
    version, dt = kinds[int(header[0])]
    assert header[1] == version and dt == np.dtype(dtype).str
    import os
    assert os.path.getsize(path) == 256 * 4 + int(header[2]) * np.dtype(dt).itemsize
    t = np.fromfile(path, dtype=dt, offset=1024)
np.asarray(t).astype(np.uint64).astype(np.int64).tofile(out)
""";

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-tokenwriter-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private long[] ReadInPython(string path, TokenFileFormat format, NpyDType dtype)
    {
        string dump = Path.Combine(_dir, "dump.bin");
        NumPyScript.Run(ReadBack, path, format.ToString(), dtype.Descr, dump);
        return MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(dump)).ToArray();
    }

    private static long[] Tokens(int count, long max, int seed)
    {
        var random = new Random(seed);
        long[] tokens = Enumerable.Range(0, count).Select(_ => random.NextInt64(max + 1)).ToArray();
        tokens[0] = max;
        return tokens;
    }

    [Trait("Requires", "python")]
    [Theory]
    [InlineData(TokenFileFormat.Llmc, "<u2")]
    [InlineData(TokenFileFormat.Llmc, "<u4")]
    [InlineData(TokenFileFormat.Raw, "<u2")]
    [InlineData(TokenFileFormat.Raw, ">u4")]
    [InlineData(TokenFileFormat.Raw, "|u1")]
    [InlineData(TokenFileFormat.Raw, "<u8")]
    [InlineData(TokenFileFormat.Raw, ">i8")]
    [InlineData(TokenFileFormat.Npy, "<u2")]
    [InlineData(TokenFileFormat.Npy, "<i4")]
    [InlineData(TokenFileFormat.Npy, ">u4")]
    public void Complete_EveryFormat_PythonReadsTheSameTokensAndSoDoWe(TokenFileFormat format, string descr)
    {
        NpyDType dtype = TokenFile.ParseDType(descr);
        string path = Path.Combine(_dir, "out.tok");
        var writer = TokenWriter.Create(path, format, dtype);
        long[] tokens = Tokens(70_001, Math.Min(writer.MaxValue, 1L << 40), 3);
        using (writer)
        {
            writer.Write(tokens.AsSpan(0, 5));
            writer.Write(tokens.AsSpan(5).ToArray().Select(t => t).ToArray());
            Assert.False(File.Exists(path));
            writer.Complete();
        }
        Assert.Equal(tokens, ReadInPython(path, format, dtype));
        using TokenStream stream = TokenStream.FromFiles([TokenFile.Open(path, format, format == TokenFileFormat.Raw ? descr : null)], ownsFiles: true);
        Assert.Equal(tokens, stream.Read(0, tokens.Length));
    }

    [Fact]
    public void Write_IntSpan_WritesTheSameAsLongs()
    {
        string path = Path.Combine(_dir, "ints.bin");
        using (TokenWriter writer = TokenWriter.CreateNanoGpt(path))
        {
            writer.Write(new[] { 50256, 0, 65535 }.AsSpan());
            writer.Complete();
        }
        Assert.Equal(new byte[] { 0x50, 0xC4, 0, 0, 0xFF, 0xFF }, File.ReadAllBytes(path));
    }

    [Trait("Requires", "python")]
    [Fact]
    public void Complete_RawWithoutTokens_ThrowsNamingTheFileAndTheWriterStaysOpen()
    {
        // A headerless file of no tokens is an empty file, which neither TokenFile nor np.memmap can map.
        string path = Path.Combine(_dir, "empty.bin");
        using TokenWriter writer = TokenWriter.Create(path, TokenFileFormat.Raw, NpyDType.UInt16);

        var ex = Assert.Throws<InvalidOperationException>(writer.Complete);

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        writer.Write([7L, 8L]);
        writer.Complete();
        Assert.Equal(new long[] { 7, 8 }, ReadInPython(path, TokenFileFormat.Raw, NpyDType.UInt16));
    }

    [Fact]
    public void Dispose_BeforeComplete_LeavesThePreviousFileAndNoTemporaryFile()
    {
        string path = Path.Combine(_dir, "keep.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        string temp;
        using (TokenWriter writer = TokenWriter.Create(path, TokenFileFormat.Llmc, NpyDType.Parse("<u2")))
        {
            writer.Write(new long[] { 1, 2, 3 });
            temp = Directory.GetFiles(_dir, ".keep.bin.*.tmp").Single();
            // Until completion the temporary file has a zeroed header, which no reader accepts.
            Assert.Throws<InvalidDataException>(() => TokenFile.OpenLlmc(temp));
        }
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.False(File.Exists(temp));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Theory]
    [InlineData("<u2", 65536)]
    [InlineData("<u2", -1)]
    [InlineData("|u1", 256)]
    [InlineData("<i4", 1L << 31)]
    [InlineData("<u4", 1L << 32)]
    public void Write_TokenOutsideTheDType_ThrowsAndWritesNothingOfTheCall(string descr, long bad)
    {
        string path = Path.Combine(_dir, "range.bin");
        using (TokenWriter writer = TokenWriter.Create(path, TokenFileFormat.Raw, TokenFile.ParseDType(descr)))
        {
            writer.Write(new long[] { 1 });
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new long[] { 2, bad, 3 }));
            Assert.Contains("range.bin", e.Message);
            Assert.Equal(1, writer.Count);
            writer.Complete();
        }
        Assert.Equal(TokenFile.ParseDType(descr).ItemSize, new FileInfo(path).Length);
    }

    [Fact]
    public void Create_LlmcWithAnUnsupportedDType_Throws()
    {
        Assert.Throws<ArgumentException>(() => TokenWriter.Create(Path.Combine(_dir, "x.bin"), TokenFileFormat.Llmc, NpyDType.Parse("<i4")));
        Assert.Throws<ArgumentException>(() => TokenWriter.Create(Path.Combine(_dir, "x.bin"), TokenFileFormat.Raw, NpyDType.Float32));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_AfterComplete_Throws()
    {
        using TokenWriter writer = TokenWriter.CreateNanoGpt(Path.Combine(_dir, "done.bin"));
        writer.Write(new long[] { 0 });
        writer.Complete();
        Assert.Throws<InvalidOperationException>(() => writer.Write(new long[] { 1 }));
        Assert.Throws<InvalidOperationException>(() => writer.Complete());
    }

    [Trait("Requires", "python")]
    [Fact]
    public void ShardWriter_RollsOverEveryNTokens_AndTheShardsReadBackAsTheStream()
    {
        string pattern = Path.Combine(_dir, "tiny_train_{0:D6}.bin");
        long[] tokens = Tokens(2_500, 50256, 8);
        using (TokenShardWriter writer = TokenShardWriter.Create(pattern, TokenFileFormat.Llmc, NpyDType.Parse("<u2"), tokensPerShard: 1000, firstIndex: 1))
        {
            writer.Write(tokens.AsSpan(0, 999));
            Assert.Empty(writer.CompletedPaths);
            writer.Write(tokens.AsSpan(999, 1));
            Assert.Single(writer.CompletedPaths);
            writer.Write(tokens.AsSpan(1000));
            writer.Complete();
            Assert.Equal(["000001", "000002", "000003"], writer.CompletedPaths.Select(p => Path.GetFileNameWithoutExtension(p)[^6..]));
        }
        string[] shards = Directory.GetFiles(_dir, "tiny_train_*.bin").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, shards.Length);
        Assert.Equal(new long[] { 1000, 1000, 500 }, shards.Select(s => LlmcShardHeader.Read(s).TokenCount));
        Assert.Equal(tokens[2000..], ReadInPython(shards[2], TokenFileFormat.Llmc, NpyDType.Parse("<u2")));
        using TokenStream stream = TokenStream.OpenLlmc(shards);
        Assert.Equal(tokens, stream.Read(0, tokens.Length));
    }

    [Fact]
    public void ShardWriter_ExactMultiple_WritesNoEmptyTrailingShard()
    {
        string pattern = Path.Combine(_dir, "s_{0}.bin");
        using (TokenShardWriter writer = TokenShardWriter.Create(pattern, TokenFileFormat.Raw, NpyDType.Parse("<u2"), 10))
        {
            writer.Write(Enumerable.Range(0, 20).Select(i => (long)i).ToArray());
            writer.Complete();
            Assert.Equal(2, writer.CompletedPaths.Count);
        }
        Assert.Equal(2, Directory.GetFiles(_dir, "s_*.bin").Length);
    }

    [Fact]
    public void ShardWriter_DisposedMidShard_KeepsCompletedShardsOnly()
    {
        string pattern = Path.Combine(_dir, "d_{0}.bin");
        using (TokenShardWriter writer = TokenShardWriter.Create(pattern, TokenFileFormat.Llmc, NpyDType.Parse("<u4"), 10))
            writer.Write(Enumerable.Range(0, 15).Select(i => (long)i).ToArray());
        Assert.Equal([string.Format(CultureInfo.InvariantCulture, pattern, 0)], Directory.GetFiles(_dir));
    }

    [Fact]
    public void ShardWriter_BadTokenAfterAShardBoundary_WritesNothingOfTheCall()
    {
        string pattern = Path.Combine(_dir, "b_{0}.bin");
        using (TokenShardWriter writer = TokenShardWriter.Create(pattern, TokenFileFormat.Raw, NpyDType.Parse("<u2"), 4))
        {
            long[] tokens = [1, 2, 3, 4, 5, 6, 70_000];
            Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(tokens));
            Assert.Equal(0, writer.Count);
            Assert.Empty(writer.CompletedPaths);
        }
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void ShardWriter_PatternWithoutTheIndex_Throws() =>
        Assert.Throws<ArgumentException>(() => TokenShardWriter.Create(Path.Combine(_dir, "same.bin"), TokenFileFormat.Raw, NpyDType.Parse("<u2"), 10));
}
