using System.Globalization;
using System.Numerics;
using CsCheck;

namespace TorchMmap.Reliability.Fuzz;

/// <summary>
/// Generates whole header dicts from parts whose validity is known — good and bad descrs, flags and shapes (huge,
/// negative, non-integer), missing, extra and duplicated keys, any order and spacing, non-ASCII and NUL characters,
/// over-long headers, short data — so the expected outcome of each file is exact.
/// </summary>
public static class NpyDictGen
{
    private const int MaxDataBytes = 4096;

    private static readonly BigInteger[] s_hugeDims =
    [
        BigInteger.Pow(2, 31), BigInteger.Pow(2, 32), BigInteger.Pow(2, 62), long.MaxValue, BigInteger.Pow(2, 63),
        BigInteger.Pow(2, 64), BigInteger.Pow(10, 30), -1, long.MinValue, -BigInteger.Pow(10, 30),
    ];

    private static readonly string[] s_badFlags = ["0", "1", "'True'", "None", "true", "()"];
    private static readonly string[] s_badShapes = ["[2, 3]", "3", "(3)", "None", "(2.0,)", "('2',)", "((2,),)", "{}"];
    private static readonly string[] s_badDescrValues = ["None", "3", "1.5"];
    private static readonly string[] s_extraKeys = ["'extra': 1", "'d\u00e9scr': '<f4'", "'sha\u00ffpe': ()", "1: 2", "'descr ': '<f4'", "'sh\u0000ape': ()"];
    private static readonly string[] s_separators = ["", " ", "  ", "\t", "\n"];

    private static Gen<DictPart> Descr { get; } = Gen.Frequency(
        (8, NpyGen.DType.Select(d => new DictPart($"'{d.Descr}'", false, false, d))),
        (1, Pick(FuzzDType.Unsupported).Select(s => new DictPart($"'{s}'", false, true))),
        (1, Pick(FuzzDType.Malformed).Select(s => new DictPart($"'{s}'", true, false))),
        (1, Pick(s_badDescrValues).Select(s => new DictPart(s, true, false))),
        (1, Gen.Const(new DictPart("[('a', '<f4'), ('b', '<i8')]", false, true))),
        // Neither a string nor a plain structured list (NumPy reads an empty dict as an empty structured dtype, a
        // one-tuple is no dtype at all): refusing them either way is right.
        (1, Gen.OneOfConst(new DictPart("{}", true, true), new DictPart("('<f4',)", true, true))));

    private static Gen<DictPart> Fortran { get; } = Gen.Frequency(
        (8, Gen.Bool.Select(b => new DictPart(b ? "True" : "False", false, false, Flag: b))),
        (1, Pick(s_badFlags).Select(s => new DictPart(s, true, false))));

    private static Gen<DictPart> Shape { get; } = Gen.Frequency(
        (6, NpyGen.SmallShape.Select(s => ShapePart(s.Select(d => (BigInteger)d).ToArray()))),
        (2, Gen.Frequency((1, Gen.Long[0, 3].Select(d => (BigInteger)d)), (1, Pick(s_hugeDims))).Array[1, 3].Select(ShapePart)),
        (1, Pick(s_badShapes).Select(s => new DictPart(s, true, false))));

    /// <summary>Files with a generated header dict.</summary>
    public static Gen<NpyCase> Case { get; } =
        from descr in Descr
        from fortran in Fortran
        from shape in Shape
        from keys in Gen.Int[0, 11]
        from which in Gen.Int[0, 2]
        from extra in Pick(s_extraKeys)
        from order in Gen.Shuffle(new[] { 0, 1, 2, 3 })
        from separator in Pick(s_separators)
        from doubleQuotes in Gen.Bool
        from trailingComma in Gen.Bool
        from version in Gen.Int[1, 3]
        from dataMode in Gen.Int[0, 6]
        from slack in Gen.Int[0, 8]
        from dataSeed in Gen.Int
        select Build(descr, fortran, shape, keys, which, extra, order, separator, doubleQuotes, trailingComma, version, dataMode, slack, dataSeed);

    private static Gen<T> Pick<T>(IReadOnlyList<T> items) => Gen.Int[0, items.Count - 1].Select(i => items[i]);

    private static DictPart ShapePart(BigInteger[] dims)
    {
        string text = dims.Length == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        bool invalid = dims.Any(d => d.Sign < 0 || d > long.MaxValue);
        return new DictPart(text, invalid, false, Dims: dims);
    }

    private static NpyCase Build(DictPart descr, DictPart fortran, DictPart shape, int keys, int which, string extra, int[] order,
        string separator, bool doubleQuotes, bool trailingComma, int version, int dataMode, int slack, int dataSeed)
    {
        char q = doubleQuotes ? '"' : '\'';
        var entries = new List<string> { $"{q}descr{q}:{separator}{descr.Text}", $"{q}fortran_order{q}:{separator}{fortran.Text}", $"{q}shape{q}:{separator}{shape.Text}" };
        bool invalid = descr.Invalid || fortran.Invalid || shape.Invalid;
        string keyNote = "";
        if (keys == 8)
        {
            entries.Add(extra);
            invalid = true;
            keyNote = " extra key";
        }
        else if (keys == 9)
        {
            entries.RemoveAt(which);
            invalid = true;
            keyNote = " missing key";
        }
        else if (keys == 10)
        {
            entries.Add(entries[which]);
            invalid = true;
            keyNote = " duplicate key";
        }
        string[] ordered = entries.Select((e, i) => (e, k: i < order.Length ? order[i] : i)).OrderBy(p => p.k).Select(p => p.e).ToArray();
        string text = "{" + string.Join("," + separator, ordered) + (trailingComma ? "," : "") + "}";
        if (keys == 11)
        {
            // Longer than NumPy's default max_header_size of 10000 bytes.
            text += new string(' ', 10_050);
            invalid = true;
            keyNote = " over-long header";
        }

        // The data: exactly what the shape needs plus some slack, or (one time in seven) too little.
        FuzzDType sizing = descr.DType ?? FuzzDType.Supported[7];
        long needed = long.MaxValue;
        if (shape.Dims is { } dims && !shape.Invalid)
        {
            BigInteger nonZero = dims.Where(d => !d.IsZero).Aggregate(BigInteger.One, (a, d) => a * d);
            BigInteger count = dims.Aggregate(BigInteger.One, (a, d) => a * d);
            // NumPy refuses a shape whose byte size overflows even when a zero dimension makes the array empty.
            if (nonZero * sizing.ItemSize > long.MaxValue)
                invalid = true;
            else
                needed = (long)(count * sizing.ItemSize);
        }
        int length;
        if (needed > MaxDataBytes)
        {
            length = slack;
            invalid |= shape.Dims is not null && !shape.Invalid;
        }
        else if (dataMode == 0 && needed > 0)
        {
            length = (int)(needed - 1 - (slack % needed));
            invalid = true;
            keyNote += " short data";
        }
        else
        {
            length = (int)needed + slack;
        }
        byte[] data = new byte[length];
        new Random(dataSeed).NextBytes(data);

        byte[] bytes = NpyBytes.File(text, version, data);
        bool unsupported = descr.Unsupported;
        Expect expect = (invalid, unsupported) switch
        {
            (false, false) => Expect.Accept,
            (true, true) => Expect.RefuseAny,
            (true, false) => Expect.RefuseInvalid,
            _ => Expect.RefuseUnsupported,
        };
        NpyLayoutSpec? layout = expect == Expect.Accept ? new NpyLayoutSpec(descr.DType!, shape.Dims!.Select(d => (long)d).ToArray(), fortran.Flag) : null;
        return new NpyCase("dict", $"v{version} {text.TrimEnd()}{keyNote} + {length} data bytes", bytes, expect, layout);
    }
}
