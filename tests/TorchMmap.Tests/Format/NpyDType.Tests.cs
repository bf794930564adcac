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

    [Trait("Requires", "python")]
    [Fact]
    public void Parse_DescrsNumPyAccepts_GiveNumPysDtypeOrARefusalNamingIt()
    {
        string[] descrs =
        [
            "<e", "e", ">e", "=e", "|e", "f", "<f", ">f", "|f", "d", ">d", "?", "<?", ">?", "=?", "|?", "<f04", "<f004", "<i08", "<u02",
            "<b01", "b", "<b", "B", "h", ">h", "H", "i", "<i", "I", "=I", "l", "<l", "L", "q", "Q", ">Q", "p", "P", "F", "D", ">D",
            "g", "G", "c", "<c", "S", "U", "O", "<M8", "<m8", "|V8", "<f4", "|u1", ">c16", "<b1", ">b1",
            "u", "n", "e2", "f0", "i0", "<i0", "b2", "u3", "?1", "<?1", "<E", "<f4 ", " f4", "<f4x", "<f-4", "<f4.0",
        ];
        // NumPy's own leniencies this parser refuses on purpose: a space or a sign between kind and size.
        string[] deliberatelyRefused = ["f 4", "<f+4"];
        string output = NumPyScript.Run(
            "import numpy as np, sys\nfor d in sys.argv[1:]:\n    try: print(np.dtype(d).str)\n    except TypeError: print('ERROR')",
            [.. descrs, .. deliberatelyRefused]);
        string[] numpy = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(descrs.Length + deliberatelyRefused.Length, numpy.Length);

        for (int i = 0; i < descrs.Length; i++)
        {
            NpyDType.ParseResult result = NpyDType.TryParseCore(descrs[i], out NpyDType? dtype, out _);
            if (numpy[i] == "ERROR")
            {
                Assert.True(result == NpyDType.ParseResult.Malformed, $"'{descrs[i]}': NumPy refuses it, this parser gives {result}");
                continue;
            }
            // Types without a tensor type (strings, objects, datetimes, uint64, long double) are refused as unsupported.
            bool loadable = numpy[i][1] is 'b' or 'i' or 'f' or 'c' or 'u' && numpy[i] is not ("<u8" or ">u8" or "<f16" or "<c32");
            if (loadable)
            {
                Assert.True(result == NpyDType.ParseResult.Ok, $"'{descrs[i]}': NumPy reads it as {numpy[i]}, this parser gives {result}");
                Assert.Equal(numpy[i], dtype!.Descr);
            }
            else
            {
                Assert.True(result == NpyDType.ParseResult.Unsupported, $"'{descrs[i]}': NumPy reads it as {numpy[i]}, this parser gives {result}");
            }
        }
        for (int i = 0; i < deliberatelyRefused.Length; i++)
        {
            Assert.NotEqual("ERROR", numpy[descrs.Length + i]);
            Assert.Equal(NpyDType.ParseResult.Malformed, NpyDType.TryParseCore(deliberatelyRefused[i], out _, out _));
        }
    }

    [Fact]
    public void Load_HeaderWithTypeCodeDescrs_ReadsAsNumPyDoes()
    {
        string dir = Directory.CreateTempSubdirectory("torchmmap-descr-").FullName;
        try
        {
            string half = Path.Combine(dir, "half.npy"), single = Path.Combine(dir, "single.npy"), flags = Path.Combine(dir, "flags.npy");
            File.WriteAllBytes(half, NpyBytes.File("{'descr': '<e', 'fortran_order': False, 'shape': (2,), }", [0x00, 0x3C, 0x00, 0xC0]));
            File.WriteAllBytes(single, NpyBytes.File("{'descr': 'f', 'fortran_order': False, 'shape': (1,), }", BitConverter.GetBytes(2.5f)));
            File.WriteAllBytes(flags, NpyBytes.File("{'descr': '<?', 'fortran_order': False, 'shape': (3,), }", [0, 1, 7]));

            using Tensor h = TorchMmap.Npy.Load(half);
            using Tensor f = TorchMmap.Npy.Load(single);
            using Tensor b = TorchMmap.Npy.Load(flags);

            Assert.Equal(ScalarType.Float16, h.dtype);
            Assert.Equal(new[] { 1.0f, -2.0f }, h.to_type(ScalarType.Float32).data<float>().ToArray());
            Assert.Equal(2.5f, f.item<float>());
            Assert.Equal(new[] { false, true, true }, b.data<bool>().ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
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
