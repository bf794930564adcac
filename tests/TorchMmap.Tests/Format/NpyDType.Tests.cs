using TorchMmap.Format;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Format;

/// <summary>Descr parsing, the tensor-type mapping and equality of <see cref="NpyDType"/>.</summary>
public sealed class NpyDTypeTests
{
    [Theory]
    [InlineData("<f4", "<f4")]
    [InlineData("|u1", "|u1")]
    [InlineData("<u1", "|u1")]
    [InlineData("?", "|b1")]
    [InlineData(">c16", ">c16")]
    public void Parse_Descr_NormalisesToNumPysSpelling(string descr, string normalised)
    {
        Assert.Equal(normalised, NpyDType.Parse(descr).Descr);
        Assert.Equal(normalised, NpyDType.Parse(descr).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("<")]
    [InlineData("<x4")]
    [InlineData("<f3")]
    [InlineData("<i16")]
    [InlineData("<f04")]
    [InlineData("<b2")]
    [InlineData("float32")]
    public void Parse_NotATypeString_ThrowsFormatException(string descr)
    {
        Assert.Throws<FormatException>(() => NpyDType.Parse(descr));
        Assert.False(NpyDType.TryParse(descr, out _));
    }

    [Theory]
    [InlineData("<u8")]
    [InlineData("|O")]
    [InlineData("<U3")]
    [InlineData("<M8[D]")]
    [InlineData("<f16")]
    public void Parse_UnsupportedDtype_ThrowsNotSupportedNamingIt(string descr)
    {
        NotSupportedException ex = Assert.Throws<NotSupportedException>(() => NpyDType.Parse(descr));
        Assert.Contains(descr, ex.Message);
        Assert.False(NpyDType.TryParse(descr, out _));
    }

    [Fact]
    public void Parse_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => NpyDType.Parse(null!));
        Assert.False(NpyDType.TryParse(null, out _));
    }

    [Theory]
    [InlineData(ScalarType.Bool, "|b1")]
    [InlineData(ScalarType.Int8, "|i1")]
    [InlineData(ScalarType.Byte, "|u1")]
    [InlineData(ScalarType.Int16, "<i2")]
    [InlineData(ScalarType.Int32, "<i4")]
    [InlineData(ScalarType.Int64, "<i8")]
    [InlineData(ScalarType.Float16, "<f2")]
    [InlineData(ScalarType.Float32, "<f4")]
    [InlineData(ScalarType.Float64, "<f8")]
    [InlineData(ScalarType.ComplexFloat32, "<c8")]
    [InlineData(ScalarType.ComplexFloat64, "<c16")]
    public void FromScalarType_EveryTensorType_IsTheNativeDtypeThatLoadsBackAsIt(ScalarType type, string littleEndianDescr)
    {
        Assert.True(BitConverter.IsLittleEndian, "The expected descrs assume a little-endian machine.");
        NpyDType dtype = NpyDType.FromScalarType(type);
        Assert.Equal(littleEndianDescr, dtype.Descr);
        Assert.Equal(type, dtype.ScalarType);
        Assert.False(dtype.NeedsConversion);
    }

    [Fact]
    public void FromScalarType_BFloat16_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => NpyDType.FromScalarType(ScalarType.BFloat16));
    }

    [Fact]
    public void Equality_SameKindSizeAndOrder_AreEqual()
    {
        Assert.Equal(NpyDType.Float32, NpyDType.Parse("<f4"));
        Assert.Equal(NpyDType.Float32.GetHashCode(), NpyDType.Parse("<f4").GetHashCode());
        Assert.NotEqual(NpyDType.Parse("<f4"), NpyDType.Parse(">f4"));
        Assert.NotEqual(NpyDType.Int32, NpyDType.UInt32);
        Assert.True(NpyDType.Parse(">f4").IsSwapped);
        Assert.True(NpyDType.Parse(">f4").NeedsConversion);
        Assert.True(NpyDType.UInt16.NeedsConversion);
    }
}
