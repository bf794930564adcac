using System.Buffers.Binary;
using TorchMmap.Format;

namespace TorchMmap.Tests.Format;

public sealed class LlmcShardHeaderTests
{
    // A header built from the layout llm.c's dev/data/data_common.py writes: 256 little-endian int32, [0] magic, [1] version, [2] count.
    private static byte[] Header(int magic, int version, int count)
    {
        byte[] bytes = new byte[1024];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, magic);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), count);
        return bytes;
    }

    [Theory]
    [InlineData(20240520, 1, 2)]
    [InlineData(20240801, 7, 4)]
    public void Parse_KnownMagicAndVersion_GivesTheTokenType(int magic, int version, int itemSize)
    {
        LlmcShardHeader header = LlmcShardHeader.Parse(Header(magic, version, 10), "s.bin", 1024 + 10 * itemSize);
        Assert.Equal(10, header.TokenCount);
        Assert.Equal(itemSize, header.DType.ItemSize);
        Assert.Equal(NpyKind.UnsignedInteger, header.DType.Kind);
        Assert.Equal(NpyByteOrder.Little, header.DType.ByteOrder);
    }

    [Theory]
    [InlineData(20240522, 1, "magic")]     // llm.c's eval-file magic is not a token shard
    [InlineData(0, 0, "magic")]
    [InlineData(20240520, 7, "version")]
    [InlineData(20240801, 1, "version")]
    public void Parse_UnknownMagicOrVersion_ThrowsNamingTheFile(int magic, int version, string what)
    {
        var e = Assert.Throws<InvalidDataException>(() => LlmcShardHeader.Parse(Header(magic, version, 1), "/data/s.bin", 1026));
        Assert.Contains("/data/s.bin", e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void Parse_CountPastTheEnd_ThrowsNamingTheFile()
    {
        var e = Assert.Throws<InvalidDataException>(() => LlmcShardHeader.Parse(Header(20240520, 1, 100), "/data/s.bin", 1024 + 199));
        Assert.Contains("/data/s.bin", e.Message);
        Assert.Contains("only 1223", e.Message);
    }

    [Fact]
    public void Parse_BytesAfterTheCountedTokens_ThrowsAsLlmcDoes()
    {
        var e = Assert.Throws<InvalidDataException>(() => LlmcShardHeader.Parse(Header(20240520, 1, 100), "/data/s.bin", 1024 + 201));
        Assert.Contains("/data/s.bin", e.Message);
        Assert.Contains("1 more bytes", e.Message);
    }

    [Fact]
    public void Parse_NegativeCount_ThrowsNamingTheFile()
    {
        var e = Assert.Throws<InvalidDataException>(() => LlmcShardHeader.Parse(Header(20240520, 1, -1), "/data/s.bin", 1024));
        Assert.Contains("/data/s.bin", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(1023)]
    public void Parse_ShorterThanTheHeader_ThrowsNamingTheFile(int length)
    {
        byte[] bytes = Header(20240520, 1, 0)[..length];
        var e = Assert.Throws<InvalidDataException>(() => LlmcShardHeader.Parse(bytes, "/data/s.bin", length));
        Assert.Contains("/data/s.bin", e.Message);
        Assert.Contains("too short", e.Message);
    }

    [Fact]
    public void WriteTo_RoundTripsThroughParse()
    {
        byte[] bytes = LlmcShardHeader.ForLlama3(12345).ToArray();
        Assert.Equal(Header(20240801, 7, 12345), bytes);
        Assert.Equal(12345, LlmcShardHeader.Parse(bytes, "x", 1024 + 12345 * 4).TokenCount);
    }

    [Fact]
    public void ForGpt2_CountBeyondTheInt32Field_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LlmcShardHeader.ForGpt2((long)int.MaxValue + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LlmcShardHeader.ForGpt2(-1));
    }

    [Fact]
    public void Parse_RandomHeadersAndLengths_EitherValidOrInvalidDataNamingTheFile()
    {
        // Magic, version and count from small sets around the valid values and from anywhere; lengths around the exact size.
        var random = new Random(20240520);
        int[] magics = [20240520, 20240801, 20240522, 0, -1];
        int[] versions = [1, 7, 0, 2, -7];
        int valid = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int magic = random.Next(4) == 0 ? random.Next(int.MinValue, int.MaxValue) : magics[random.Next(magics.Length)];
            int version = random.Next(4) == 0 ? random.Next() : versions[random.Next(versions.Length)];
            int count = random.Next(3) switch { 0 => random.Next(-5, 5), 1 => random.Next(), _ => random.Next(0, 1000) };
            byte[] header = Header(magic, version, count);
            int given = random.Next(5) == 0 ? random.Next(0, 1025) : 1024;
            long length = random.Next(3) switch
            {
                0 => 1024 + (long)count * (magic == 20240801 ? 4 : 2),
                1 => 1024 + (long)count * (magic == 20240801 ? 4 : 2) + random.Next(-3, 4),
                _ => random.NextInt64(0, 1L << 40),
            };
            try
            {
                LlmcShardHeader h = LlmcShardHeader.Parse(header.AsSpan(0, given), "/fuzz/s.bin", length);
                Assert.Equal(1024 + h.TokenCount * h.DType.ItemSize, length);
                Assert.True((magic, version) is (20240520, 1) or (20240801, 7));
                valid++;
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("/fuzz/s.bin", e.Message);
            }
        }
        Assert.InRange(valid, 100, 19_000);
    }
}
