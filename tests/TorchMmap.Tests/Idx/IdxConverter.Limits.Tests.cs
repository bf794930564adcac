using TorchMmap.Idx;

namespace TorchMmap.Tests.Idx;

/// <summary>Shapes at the edges of what IDX headers can say: row sizes that overflow, rows too large to buffer, empty rows
/// followed by stray bytes inside a compressed stream.</summary>
public sealed class IdxConverterLimitsTests : IDisposable
{
    private readonly IdxFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Convert_RowSizeOverflowsWithZeroRows_RefusedNamingTheFile(bool gzip)
    {
        // No rows, so the header's total is 0; the row itself is (2^31-1)^3 bytes, past 64 bits.
        string idx = _files.Write("overflow.idx", IdxFiles.Header(0x08, 0, int.MaxValue, int.MaxValue, int.MaxValue), gzip);
        string npy = _files.PathOf("overflow.npy");

        var e = Assert.Throws<InvalidDataException>(() => IdxConverter.Convert(idx, npy));

        Assert.Contains(idx, e.Message);
        Assert.Contains("overflows", e.Message);
        Assert.False(File.Exists(npy));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Convert_EmptyShapeWhoseOtherDimensionsOverflow_RefusedAsNumPyWould(bool gzip)
    {
        // Found by fuzzing: the zero second dimension made every product 0, and NpyWriter then threw ArgumentOutOfRangeException.
        string idx = _files.Write("empty-overflow.idx", IdxFiles.Header(0x08, 5, 0, 1781268483, 1781268483, 230), gzip);
        string npy = _files.PathOf("empty-overflow.npy");

        var e = Assert.Throws<InvalidDataException>(() => IdxConverter.Convert(idx, npy));

        Assert.Contains(idx, e.Message);
        Assert.Contains("overflows", e.Message);
        Assert.False(File.Exists(npy));
    }

    [Fact]
    public void Convert_EmptyShapeTooLargeForNpy_LeavesTheExistingOutputUntouched()
    {
        // Found by fuzzing: the .npy was written, then refused when read back, replacing the file that was there.
        string idx = _files.Write("wide.idx", IdxFiles.Header(0x0D, 805306371, 5, 0, 656408579));
        string npy = _files.PathOf("wide.npy");
        File.WriteAllText(npy, "previous");

        var e = Assert.Throws<InvalidDataException>(() => IdxConverter.Convert(idx, npy, new IdxConversionOptions { InsertChannelAxis = true }));

        Assert.Contains(idx, e.Message);
        Assert.Equal("previous", File.ReadAllText(npy));
        Assert.Single(Directory.GetFiles(_files.Dir), f => f != idx);
    }

    [Fact]
    public void Convert_CompressedRowLargerThanAnyBuffer_RefusedBeforeAllocating()
    {
        // A gzip'd file has no length to check against: the header alone claims one row of 8 GiB.
        string idx = _files.Write("huge.gz", IdxFiles.Header(0x08, 1, int.MaxValue, 4), gzip: true);
        string npy = _files.PathOf("huge.npy");

        var e = Assert.Throws<NotSupportedException>(() => IdxConverter.Convert(idx, npy));

        Assert.Contains(idx, e.Message);
        Assert.False(File.Exists(npy));
    }

    [Fact]
    public void Convert_NoRowsOfHugeRowSize_WritesAnEmptyArray()
    {
        string idx = _files.Write("empty.idx", IdxFiles.Header(0x08, 0, int.MaxValue, 4));
        string npy = _files.PathOf("empty.npy");

        var header = IdxConverter.Convert(idx, npy);

        Assert.Equal(new long[] { 0, int.MaxValue, 4 }, header.Shape);
        Assert.True(File.Exists(npy));
    }

    [Theory]
    [InlineData(new byte[] { 0x68, 0x65, 0x6C, 0x6C, 0x6F })]   // text
    [InlineData(new byte[] { 0, 0, 0, 0 })]                     // zero padding, as tape and block devices add
    public void Convert_BytesAfterTheGzipMember_AreIgnoredAsGunzipDoes(byte[] junk)
    {
        // The member itself is complete and its CRC checks; what follows is not part of the compressed file.
        byte[] content = IdxFiles.UInt8([1, 2, 3, 4, 5, 6], 2, 3);
        string zipped = _files.Write("member.gz", content, gzip: true);
        string idx = _files.Write("junk.gz", [.. File.ReadAllBytes(zipped), .. junk]);
        string npy = _files.PathOf("junk.npy");

        IdxConverter.Convert(idx, npy);

        using var t = TorchMmap.Npy.Load(npy);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, t.data<byte>().ToArray());
    }

    [Fact]
    public void Convert_SecondGzipMemberCutShort_IsRefused()
    {
        // Concatenated members are one stream (as gunzip reads them); a second member cut after its header and a few
        // bytes of deflate data is corrupt, not padding.
        byte[] content = IdxFiles.UInt8([1, 2, 3, 4, 5, 6], 2, 3);
        string zipped = _files.Write("member.gz", content, gzip: true);
        string idx = _files.Write("second.gz", [.. File.ReadAllBytes(zipped), .. File.ReadAllBytes(zipped).AsSpan(0, 14)]);
        string npy = _files.PathOf("second.npy");

        var e = Assert.Throws<InvalidDataException>(() => IdxConverter.Convert(idx, npy));

        Assert.Contains(idx, e.Message);
        Assert.False(File.Exists(npy));
    }

    [Fact]
    public void Convert_CompressedEmptyRowsThenStrayBytes_Refused()
    {
        // Two rows of zero bytes carry no data, so anything after the header is stray.
        string idx = _files.Write("stray.gz", [.. IdxFiles.Header(0x08, 2, 0), 1, 2, 3], gzip: true);
        string npy = _files.PathOf("stray.npy");

        var e = Assert.Throws<InvalidDataException>(() => IdxConverter.Convert(idx, npy));

        Assert.Contains(idx, e.Message);
        Assert.False(File.Exists(npy));
    }
}
