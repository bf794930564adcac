using TorchMmap.Format;

namespace TorchMmap.Tests.Format;

/// <summary>Creating headers; byte equality with <c>np.save</c> is shown against real NumPy in the interop tests.</summary>
public sealed class NpyHeaderWriteTests
{
    [Theory]
    [InlineData(new long[0])]
    [InlineData(new long[] { 0 })]
    [InlineData(new long[] { 7, 3, 2 })]
    [InlineData(new long[] { 123_456_789_012, 5 })]
    public void Create_ThenParse_RoundTripsWithDataOn64ByteBoundary(long[] shape)
    {
        NpyHeader created = NpyHeader.Create(NpyDType.Float64, shape, fortranOrder: shape.Length > 1);
        byte[] bytes = created.ToArray();
        Assert.Equal(created.EncodedLength, bytes.Length);
        Assert.Equal(0, bytes.Length % 64);
        Assert.Equal((byte)'\n', bytes[^1]);

        NpyHeader parsed = NpyHeader.Parse(bytes, "created");
        Assert.Equal(shape, parsed.Shape);
        Assert.Equal(shape.Length > 1, parsed.FortranOrder);
        Assert.Equal("<f8", parsed.Descr);
        Assert.Equal(new Version(1, 0), parsed.Version);
        Assert.Equal(created.DataOffset, parsed.DataOffset);
    }

    [Fact]
    public void Create_HeaderTooLongForVersion1_UsesVersion2()
    {
        // Only absurd ranks get there, but the switch must be right: a 1.0 length field holds at most 65535.
        long[] shape = Enumerable.Repeat(1L, 30_000).ToArray();
        NpyHeader created = NpyHeader.Create(NpyDType.UInt8, shape);
        Assert.Equal(new Version(2, 0), created.Version);
        NpyHeader parsed = NpyHeader.Parse(created.ToArray(), "wide", new NpyReadOptions { MaxHeaderLength = 1 << 20 });
        Assert.Equal(30_000, parsed.Rank);
        Assert.Equal(0, parsed.DataOffset % 64);
    }

    [Fact]
    public void WithShape_MoreRows_KeepsTheHeaderLength()
    {
        NpyHeader empty = NpyHeader.Create(NpyDType.Int16, [0, 4]);
        NpyHeader full = empty.WithShape([long.MaxValue / 8, 4]);
        Assert.Equal(empty.HeaderLength, full.HeaderLength);
        Assert.Equal(new long[] { long.MaxValue / 8, 4 }, NpyHeader.Parse(full.ToArray(), "grown").Shape);
    }

    [Fact]
    public void Create_InvalidShapes_ThrowArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Create(NpyDType.Float32, [-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Create(NpyDType.Float64, [1L << 62, 4]));
        Assert.Throws<ArgumentNullException>(() => NpyHeader.Create(null!, [1]));
    }

    [Fact]
    public void WriteTo_ShortDestination_Throws()
    {
        NpyHeader header = NpyHeader.Create(NpyDType.Float32, [3]);
        Assert.Throws<ArgumentException>(() => header.WriteTo(new byte[header.EncodedLength - 1]));
    }

    [Fact]
    public void Create_EmptyShapeWhoseOtherDimensionsOverflowTheByteCount_Throws()
    {
        // 8 bytes x 2^61 is 2^64: NumPy refuses the shape even though the zero makes it empty, and so does the reader.
        Assert.Throws<ArgumentOutOfRangeException>(() => NpyHeader.Create(NpyDType.Float64, [0, 1L << 61]));
        byte[] bytes = NpyBytes.File(NpyBytes.Dict("<f8", "(0, 2305843009213693952)"));
        Assert.Throws<InvalidDataException>(() => NpyHeader.Parse(bytes, "x.npy", isWholeFile: true));
    }

    [Fact]
    public void Create_LargestEmptyShape_IsReadBack()
    {
        // 8 bytes x 2^59 = 2^62 fits: the writer's and the reader's rule agree on the edge.
        NpyHeader created = NpyHeader.Create(NpyDType.Float64, [0, 1L << 59]);
        NpyHeader parsed = NpyHeader.Parse(created.ToArray(), "x.npy", isWholeFile: true);
        Assert.Equal(created.Shape, parsed.Shape);
        Assert.Equal(0, parsed.DataLength);
    }
}
