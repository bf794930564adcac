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
}
