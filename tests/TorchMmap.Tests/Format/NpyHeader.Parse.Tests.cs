using TorchMmap.Format;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Format;

/// <summary>Parsing hand-built, byte-exact headers: versions, alignments, the dict syntax NumPy accepts, and every dtype.</summary>
public sealed class NpyHeaderParseTests : IDisposable
{
    private const string Name = "/data/hand-built.npy";
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-header-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1, 64)]
    [InlineData(1, 16)]
    [InlineData(2, 64)]
    [InlineData(2, 16)]
    [InlineData(3, 64)]
    [InlineData(3, 16)]
    [InlineData(1, 0)]
    public void Parse_EachVersionAndAlignment_DataStartsAfterThePaddedHeader(int major, int alignment)
    {
        byte[] bytes = NpyBytes.File(NpyBytes.Dict("<f4", "(3, 2)"), major: major, alignment: alignment);

        NpyHeader header = NpyHeader.Parse(bytes, Name, isWholeFile: false);

        Assert.Equal(new Version(major, 0), header.Version);
        Assert.Equal(bytes.Length, header.DataOffset);
        Assert.Equal(bytes.Length - (major == 1 ? 10 : 12), header.HeaderLength);
        if (alignment > 0)
            Assert.Equal(0, header.DataOffset % alignment);
        Assert.Equal("<f4", header.Descr);
        Assert.Equal(new long[] { 3, 2 }, header.Shape);
        Assert.False(header.FortranOrder);
        Assert.Equal(6, header.ElementCount);
        Assert.Equal(24, header.DataLength);
    }

    [Fact]
    public void Parse_Version3_DecodesTheHeaderAsUtf8AndEarlierVersionsAsLatin1()
    {
        // The same UTF-8 bytes of "é" in a descr: version 3.0 reads one character, 1.0 reads two Latin-1 ones.
        string dict = NpyBytes.Dict("\u00e9", "(4,)");
        byte[] utf8 = NpyBytes.Concat(NpyBytes.Preamble(3, 0, System.Text.Encoding.UTF8.GetByteCount(dict) + 1), System.Text.Encoding.UTF8.GetBytes(dict + "\n"));
        byte[] latin1 = NpyBytes.Concat(NpyBytes.Preamble(1, 0, utf8.Length - 12), utf8[12..]);

        InvalidDataException v3 = Assert.Throws<InvalidDataException>(() => NpyHeader.Parse(utf8, Name));
        InvalidDataException v1 = Assert.Throws<InvalidDataException>(() => NpyHeader.Parse(latin1, Name));

        Assert.Contains("'\u00e9'", v3.Message);
        Assert.Contains("'\u00c3\u00a9'", v1.Message);
    }

    public static TheoryData<string> AcceptedDictTexts => new()
    {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
        "{'shape': (3, 2), 'descr': '<f4', 'fortran_order': False}",
        "{'fortran_order': False, 'shape': (3, 2), 'descr': '<f4'}",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 2)}",
        "{'descr':'<f4','fortran_order':False,'shape':(3,2)}",
        "{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 3 , 2 , ) , }",
        "{'descr':\t'<f4',\n 'fortran_order': False,\r\n 'shape': (3,\n 2)}",
        "  \t{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2,),}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': ((3), 2)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }",
        "{u'descr': u'<f4', u'fortran_order': False, u'shape': (3, 2), }",
    };

    [Theory]
    [MemberData(nameof(AcceptedDictTexts))]
    public void Parse_DictTextNumPyAccepts_GivesTheSameHeader(string dict)
    {
        NpyHeader header = NpyHeader.Parse(NpyBytes.File(dict), Name);
        Assert.Equal("<f4", header.Descr);
        Assert.Equal(new long[] { 3, 2 }, header.Shape);
        Assert.False(header.FortranOrder);
    }

    [Fact]
    public void Parse_Python2LongSuffixInVersion3_IsRefused()
    {
        // NumPy strips Python 2's 'L' suffix only from version 1.0 and 2.0 headers, which Python 2 could have written.
        byte[] bytes = NpyBytes.File("{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 2L), }", major: 3);
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => NpyHeader.Parse(bytes, Name));
        Assert.Contains(Name, ex.Message);
    }

    public static TheoryData<string, NpyKind, int, NpyByteOrder, ScalarType, int> SupportedDescrs => new()
    {
        { "|b1", NpyKind.Bool, 1, NpyByteOrder.NotApplicable, ScalarType.Bool, 1 },
        { "?", NpyKind.Bool, 1, NpyByteOrder.NotApplicable, ScalarType.Bool, 1 },
        { "|i1", NpyKind.SignedInteger, 1, NpyByteOrder.NotApplicable, ScalarType.Int8, 1 },
        { "|u1", NpyKind.UnsignedInteger, 1, NpyByteOrder.NotApplicable, ScalarType.Byte, 1 },
        { "<i2", NpyKind.SignedInteger, 2, NpyByteOrder.Little, ScalarType.Int16, 2 },
        { ">i2", NpyKind.SignedInteger, 2, NpyByteOrder.Big, ScalarType.Int16, 2 },
        { "<u2", NpyKind.UnsignedInteger, 2, NpyByteOrder.Little, ScalarType.Int32, 4 },
        { ">u2", NpyKind.UnsignedInteger, 2, NpyByteOrder.Big, ScalarType.Int32, 4 },
        { "<i4", NpyKind.SignedInteger, 4, NpyByteOrder.Little, ScalarType.Int32, 4 },
        { ">i4", NpyKind.SignedInteger, 4, NpyByteOrder.Big, ScalarType.Int32, 4 },
        { "<u4", NpyKind.UnsignedInteger, 4, NpyByteOrder.Little, ScalarType.Int64, 8 },
        { ">u4", NpyKind.UnsignedInteger, 4, NpyByteOrder.Big, ScalarType.Int64, 8 },
        { "<i8", NpyKind.SignedInteger, 8, NpyByteOrder.Little, ScalarType.Int64, 8 },
        { ">i8", NpyKind.SignedInteger, 8, NpyByteOrder.Big, ScalarType.Int64, 8 },
        { "<f2", NpyKind.Float, 2, NpyByteOrder.Little, ScalarType.Float16, 2 },
        { ">f2", NpyKind.Float, 2, NpyByteOrder.Big, ScalarType.Float16, 2 },
        { "<f4", NpyKind.Float, 4, NpyByteOrder.Little, ScalarType.Float32, 4 },
        { ">f4", NpyKind.Float, 4, NpyByteOrder.Big, ScalarType.Float32, 4 },
        { "<f8", NpyKind.Float, 8, NpyByteOrder.Little, ScalarType.Float64, 8 },
        { ">f8", NpyKind.Float, 8, NpyByteOrder.Big, ScalarType.Float64, 8 },
        { "<c8", NpyKind.Complex, 8, NpyByteOrder.Little, ScalarType.ComplexFloat32, 8 },
        { ">c8", NpyKind.Complex, 8, NpyByteOrder.Big, ScalarType.ComplexFloat32, 8 },
        { "<c16", NpyKind.Complex, 16, NpyByteOrder.Little, ScalarType.ComplexFloat64, 16 },
        { ">c16", NpyKind.Complex, 16, NpyByteOrder.Big, ScalarType.ComplexFloat64, 16 },
    };

    [Theory]
    [MemberData(nameof(SupportedDescrs))]
    public void Parse_SupportedDescr_GivesKindSizeOrderAndLoadType(string descr, NpyKind kind, int itemSize, NpyByteOrder order, ScalarType loadsAs, int loadedSize)
    {
        NpyHeader header = NpyHeader.Parse(NpyBytes.File(NpyBytes.Dict(descr, "(5,)")), Name);

        Assert.Equal(descr, header.Descr);
        Assert.Equal(kind, header.DType.Kind);
        Assert.Equal(itemSize, header.DType.ItemSize);
        Assert.Equal(order, header.DType.ByteOrder);
        Assert.Equal(loadsAs, header.DType.ScalarType);
        Assert.Equal(loadedSize, header.DType.LoadedItemSize);
        Assert.Equal(5L * itemSize, header.DataLength);
    }

    public static TheoryData<string, string> UnsupportedDescrs => new()
    {
        { "'<u8'", "<u8" },
        { "'>u8'", ">u8" },
        { "'|O'", "|O" },
        { "'<U5'", "<U5" },
        { "'|S3'", "|S3" },
        { "'|V8'", "|V8" },
        { "'<M8[ns]'", "<M8[ns]" },
        { "'<m8[s]'", "<m8[s]" },
        { "'<f16'", "<f16" },
        { "'<c32'", "<c32" },
        { "[('a', '<f4'), ('b', '<i8')]", "[('a', '<f4'), ('b', '<i8')]" },
        { "[('x', '<f8', (2,))]", "[('x', '<f8', (2,))]" },
        { "('<f4', (2, 2))", "('<f4', (2, 2))" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedDescrs))]
    public void Parse_UnsupportedDtype_ThrowsNotSupportedNamingDtypeAndFile(string descrLiteral, string named)
    {
        byte[] bytes = NpyBytes.File($"{{'descr': {descrLiteral}, 'fortran_order': False, 'shape': (2,), }}");
        NotSupportedException ex = Assert.Throws<NotSupportedException>(() => NpyHeader.Parse(bytes, Name));
        Assert.Contains(named, ex.Message);
        Assert.Contains(Name, ex.Message);
    }

    [Theory]
    [InlineData("|i4")]
    [InlineData("=i4")]
    [InlineData("i4")]
    public void Parse_MultiByteDescrWithoutAnExplicitOrder_IsNativeOrder(string descr)
    {
        // NumPy reads '|', '=' and no order character on a multi-byte type as the machine's order.
        NpyHeader header = NpyHeader.Parse(NpyBytes.File(NpyBytes.Dict(descr, "(2,)")), Name);
        Assert.Equal(BitConverter.IsLittleEndian ? NpyByteOrder.Little : NpyByteOrder.Big, header.DType.ByteOrder);
        Assert.Equal(ScalarType.Int32, header.DType.ScalarType);
        Assert.Equal(descr, header.Descr);
    }

    [Fact]
    public void Parse_ZeroDimensionalArray_HasOneElement()
    {
        NpyHeader header = NpyHeader.Parse(NpyBytes.File(NpyBytes.Dict("<f8", "()"), new byte[8]), Name, isWholeFile: true);
        Assert.Equal(0, header.Rank);
        Assert.Empty(header.Shape);
        Assert.Equal(1, header.ElementCount);
        Assert.Equal(8, header.DataLength);
    }

    [Theory]
    [InlineData("(0,)", 0)]
    [InlineData("(0, 3)", 0)]
    [InlineData("(3, 0, 2)", 0)]
    public void Parse_ZeroSizedArray_NeedsNoData(string shape, long elements)
    {
        NpyHeader header = NpyHeader.Parse(NpyBytes.File(NpyBytes.Dict("<i4", shape)), Name, isWholeFile: true);
        Assert.Equal(elements, header.ElementCount);
        Assert.Equal(0, header.DataLength);
    }

    [Fact]
    public void Parse_FortranOrderTrue_IsReported()
    {
        NpyHeader header = NpyHeader.Parse(NpyBytes.File(NpyBytes.Dict("<i4", "(2, 3)", fortran: true)), Name);
        Assert.True(header.FortranOrder);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Read_FileAndStream_AgreeWithParseAndLeaveTheStreamAtTheData(int major)
    {
        byte[] data = Enumerable.Range(0, 24).Select(i => (byte)i).ToArray();
        byte[] bytes = NpyBytes.File(NpyBytes.Dict(">u2", "(4, 3)"), data, major);
        string path = Path.Combine(_dir, $"v{major}.npy");
        File.WriteAllBytes(path, bytes);

        NpyHeader parsed = NpyHeader.Parse(bytes, path, isWholeFile: true);
        NpyHeader fromFile = NpyHeader.Read(path);
        using var stream = new MemoryStream(bytes);
        NpyHeader fromStream = NpyHeader.Read(stream, path);

        foreach (NpyHeader h in new[] { fromFile, fromStream })
        {
            Assert.Equal(parsed.Descr, h.Descr);
            Assert.Equal(parsed.Shape, h.Shape);
            Assert.Equal(parsed.Version, h.Version);
            Assert.Equal(parsed.DataOffset, h.DataOffset);
        }
        Assert.Equal(bytes.Length - data.Length, fromStream.DataOffset);
        Assert.Equal(fromStream.DataOffset, stream.Position);
    }

    [Fact]
    public void Read_NonSeekableStream_ReadsTheHeader()
    {
        byte[] bytes = NpyBytes.File(NpyBytes.Dict("<f4", "(2,)", fortran: false), new byte[8], major: 2);
        using var stream = new ForwardOnlyStream(bytes);
        NpyHeader header = NpyHeader.Read(stream, Name);
        Assert.Equal(new long[] { 2 }, header.Shape);
        Assert.Equal(new Version(2, 0), header.Version);
    }

    [Fact]
    public void Read_HeaderAtTheOptionsLimit_IsAccepted()
    {
        // NumPy refuses headers longer than max_header_size (10000) and accepts one of exactly that length.
        string dict = NpyBytes.Dict("<f4", "(1,)");
        byte[] bytes = NpyBytes.File(dict.PadRight(9999), new byte[4], alignment: 0);
        NpyHeader header = NpyHeader.Parse(bytes, Name, isWholeFile: true);
        Assert.Equal(10000, header.HeaderLength);
    }

    [Fact]
    public void Read_HeaderOverTheDefaultLimit_IsAcceptedWhenTheLimitIsRaised()
    {
        string path = Path.Combine(_dir, "long-header.npy");
        File.WriteAllBytes(path, NpyBytes.File(NpyBytes.Dict("<f4", "(1,)").PadRight(20000), new byte[4], major: 2));
        Assert.Throws<InvalidDataException>(() => NpyHeader.Read(path));
        NpyHeader header = NpyHeader.Read(path, new NpyReadOptions { MaxHeaderLength = 30000 });
        Assert.Equal(new long[] { 1 }, header.Shape);
    }

    /// <summary>A stream that can only be read forwards, like a decompressor.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, Math.Min(3, bytes.Length - _position));    // short reads on purpose
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
