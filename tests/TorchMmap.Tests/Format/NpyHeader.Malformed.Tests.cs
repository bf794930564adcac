using System.Text;
using TorchMmap.Format;
using TorchMmap.Storage;

namespace TorchMmap.Tests.Format;

/// <summary>
/// Every refusal the format asks for, as hand-built bytes: each must raise the stated exception type, whose message
/// names the file, from every entry point (parse, header read, mapping, whole load).
/// </summary>
public sealed class NpyHeaderMalformedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-malformed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Type s_invalid = typeof(InvalidDataException);
    private static readonly Type s_unsupported = typeof(NotSupportedException);

    private static byte[] H(string dict, byte[]? data = null, int major = 1) => NpyBytes.File(dict, data, major);

    private static byte[] Patch(byte[] bytes, int at, byte value)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[at] = value;
        return copy;
    }

    private static byte[] Valid(string descr = "<f4", string shape = "(3,)", int dataBytes = 12) => H(NpyBytes.Dict(descr, shape), new byte[dataBytes]);

    public static TheoryData<string, byte[], Type> Cases
    {
        get
        {
            byte[] good = Valid();
            byte[] dict = Encoding.ASCII.GetBytes(NpyBytes.Dict("<f4", "(3,)"));
            var cases = new TheoryData<string, byte[], Type>
            {
                { "empty file", [], s_invalid },
                { "bad magic", Patch(good, 5, (byte)'X'), s_invalid },
                { "magic without its first byte", Patch(good, 0, (byte)'N'), s_invalid },
                { "text file", Encoding.ASCII.GetBytes("a,b,c\n1,2,3\n"), s_invalid },
                { "file cut inside the magic", good[..4], s_invalid },
                { "file cut inside the length field", good[..9], s_invalid },
                { "version 2 file cut inside the length field", NpyBytes.Preamble(2, 0, 64)[..10], s_invalid },
                { "version 4.0", NpyBytes.Concat(NpyBytes.Preamble(4, 0, good.Length - 10), good[10..]), s_invalid },
                { "version 1.1", NpyBytes.Concat(NpyBytes.Preamble(1, 1, good.Length - 10), good[10..]), s_invalid },
                { "version 0.0", NpyBytes.Concat(NpyBytes.Preamble(0, 0, good.Length - 10), good[10..]), s_invalid },
                { "header length past the end", NpyBytes.Concat(NpyBytes.Preamble(1, 0, 500), good[10..64]), s_invalid },
                { "version 2 header length past the end", NpyBytes.Concat(NpyBytes.Preamble(2, 0, 9000), good[10..64]), s_invalid },
                { "header of zero length", NpyBytes.Preamble(1, 0, 0), s_invalid },
                { "header is a list", H("['descr', '<f4']"), s_invalid },
                { "header is an expression", H("{'descr': '<f4', 'fortran_order': False, 'shape': (2+1,)}", new byte[12]), s_invalid },
                { "header is a call", H("dict(descr='<f4', fortran_order=False, shape=(3,))", new byte[12]), s_invalid },
                { "header names a variable", H("{'descr': float32, 'fortran_order': False, 'shape': (3,)}", new byte[12]), s_invalid },
                { "header dict not closed", H("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)", new byte[12]), s_invalid },
                { "header holds two literals", H(NpyBytes.Dict("<f4", "(3,)") + " {}", new byte[12]), s_invalid },
                { "missing key", H("{'descr': '<f4', 'shape': (3,)}", new byte[12]), s_invalid },
                { "extra key", H("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}", new byte[12]), s_invalid },
                { "duplicate key", H("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'shape': (3,)}", new byte[12]), s_invalid },
                { "descr not a string", H("{'descr': 4, 'fortran_order': False, 'shape': (3,)}", new byte[12]), s_invalid },
                { "descr not a dtype", H(NpyBytes.Dict("<x4", "(3,)"), new byte[12]), s_invalid },
                { "fortran_order not a bool", H("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", new byte[12]), s_invalid },
                { "shape a list", H("{'descr': '<f4', 'fortran_order': False, 'shape': [3]}", new byte[12]), s_invalid },
                { "shape an integer", H("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}", new byte[12]), s_invalid },
                { "shape holds a float", H("{'descr': '<f4', 'fortran_order': False, 'shape': (3.0,)}", new byte[12]), s_invalid },
                { "negative dimension", H(NpyBytes.Dict("<f4", "(-1, 3)")), s_invalid },
                { "byte size overflows", H(NpyBytes.Dict("<f8", "(4611686018427387904, 4)")), s_invalid },
                { "dimension over 64 bits", H(NpyBytes.Dict("|u1", "(18446744073709551616,)")), s_invalid },
                { "data section short", Valid(dataBytes: 11), s_invalid },
                { "data section missing", Valid(dataBytes: 0), s_invalid },
                { "header over the safety limit", H(NpyBytes.Dict("<f4", "(3,)").PadRight(10001), new byte[12], major: 2), s_invalid },
                { "version 3 header not UTF-8", NpyBytes.Concat(NpyBytes.Preamble(3, 0, dict.Length + 3), dict, [(byte)' ', 0xFF, (byte)'\n'], new byte[12]), s_invalid },
                { "object array", H(NpyBytes.Dict("|O", "(2,)"), Encoding.ASCII.GetBytes("\u0080\u0004cos\nsystem\n")), s_unsupported },
                { "object field in a structured dtype", H("{'descr': [('a', '<f4'), ('b', '|O')], 'fortran_order': False, 'shape': (1,)}", new byte[12]), s_unsupported },
                { "uint64", Valid("<u8", "(3,)", 24), s_unsupported },
                { "unicode strings", Valid("<U2", "(3,)", 24), s_unsupported },
                { "datetime64", Valid("<M8[s]", "(3,)", 24), s_unsupported },
            };
            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Parse_RefusedBytes_ThrowsTheTypeNamingTheFile(string reason, byte[] bytes, Type expected)
    {
        const string Name = "/srv/data/suspect.npy";
        Exception ex = Assert.Throws(expected, () => NpyHeader.Parse(bytes, Name, isWholeFile: true));
        Assert.True(ex.Message.Contains(Name, StringComparison.Ordinal), $"{reason}: the message does not name the file: {ex.Message}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Open_RefusedFile_ThrowsTheTypeNamingTheFileFromEveryEntryPoint(string reason, byte[] bytes, Type expected)
    {
        string path = Path.Combine(_dir, "suspect.npy");
        File.WriteAllBytes(path, bytes);
        Action[] entryPoints =
        [
            () => NpyHeader.Read(path),
            () => NpyArray.Open(path).Dispose(),
            () => NpyArray.Open(path, NpyMode.CopyOnWrite).Dispose(),
            () => Npy.Load(path).Dispose(),
        ];
        foreach (Action open in entryPoints)
        {
            Exception ex = Assert.Throws(expected, open);
            Assert.True(ex.Message.Contains(path, StringComparison.Ordinal), $"{reason}: the message does not name the file: {ex.Message}");
        }
        // The refusal leaves the file as it was.
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Open_HeaderLengthPastTheEnd_NamesTheOffsetOfTheLengthField()
    {
        string path = Path.Combine(_dir, "cut.npy");
        File.WriteAllBytes(path, NpyBytes.Concat(NpyBytes.Preamble(1, 0, 500), new byte[20]));
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => NpyArray.Open(path));
        Assert.Contains("offset 8", ex.Message);
        Assert.Contains("500", ex.Message);
    }

    [Fact]
    public void Open_ShortDataSection_IsRefusedAtOpenWithTheNeededAndActualSizes()
    {
        string path = Path.Combine(_dir, "short.npy");
        byte[] bytes = Valid("<f8", "(4, 2)", 63);
        File.WriteAllBytes(path, bytes);
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => NpyArray.Open(path));
        Assert.Contains("64 bytes", ex.Message);
        Assert.Contains(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
    }

    [Fact]
    public void Open_HeaderOverALoweredLimit_IsRefused()
    {
        string path = Path.Combine(_dir, "limit.npy");
        File.WriteAllBytes(path, Valid());
        var options = new NpyReadOptions { MaxHeaderLength = 32 };
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => NpyArray.Open(path, NpyMode.ReadOnly, options));
        Assert.Contains("MaxHeaderLength", ex.Message);
        Assert.Throws<InvalidDataException>(() => Npy.Load(path, options).Dispose());
        using NpyArray array = NpyArray.Open(path);
        Assert.Equal(3, array.Length);
    }

    [Fact]
    public void MaxHeaderLength_NotPositive_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NpyReadOptions { MaxHeaderLength = 0 });
    }
}
