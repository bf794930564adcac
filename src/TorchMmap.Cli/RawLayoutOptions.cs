using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using TorchMmap.Format;

namespace TorchMmap.Cli;

/// <summary>
/// The <c>--raw DTYPE [--offset N] [--shape D1,D2,...] [--fortran]</c> options of <c>info</c>, <c>head</c> and
/// <c>stats</c>: how to read a headerless file, as <c>np.memmap</c>'s dtype, offset, shape and order.
/// </summary>
internal sealed class RawLayoutOptions
{
    private static readonly Dictionary<string, string> s_names = new(StringComparer.Ordinal)
    {
        ["bool"] = "|b1",
        ["int8"] = "|i1",
        ["uint8"] = "|u1",
        ["int16"] = "<i2",
        ["uint16"] = "<u2",
        ["int32"] = "<i4",
        ["uint32"] = "<u4",
        ["int64"] = "<i8",
        ["float16"] = "<f2",
        ["float32"] = "<f4",
        ["float64"] = "<f8",
        ["complex64"] = "<c8",
        ["complex128"] = "<c16",
    };

    private readonly Option<NpyDType?> _raw = new("--raw")
    {
        Description = "Read FILE as a headerless array (np.memmap) of this dtype: a type string such as '>f4' or a name such as uint16.",
        HelpName = "DTYPE",
        CustomParser = ParseDType,
    };

    private readonly Option<long?> _offset = CommandLineValues.NonNegativeLongOption("--offset", "N", "With --raw: bytes before the data (default 0).");

    private readonly Option<long[]?> _shape = new("--shape")
    {
        Description = "With --raw: the shape, comma-separated (default: one dimension, from the file size).",
        HelpName = "D1,D2,...",
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = ParseShape,
    };

    private readonly Option<bool> _fortran = new("--fortran") { Description = "With --raw: the data is in Fortran (column-major) order." };

    /// <summary>Adds the options to <paramref name="command"/>, with a check that the layout options come with <c>--raw</c>.</summary>
    public void AddTo(Command command)
    {
        command.Add(_raw);
        command.Add(_offset);
        command.Add(_shape);
        command.Add(_fortran);
        command.Validators.Add(result =>
        {
            if (result.GetResult(_raw) is null && (result.GetResult(_offset) ?? result.GetResult(_shape) ?? result.GetResult(_fortran)) is not null)
                result.AddError("--offset, --shape and --fortran describe a raw file; give its dtype with --raw.");
        });
    }

    /// <summary>The layout the command line gives, or null when it does not say <c>--raw</c>.</summary>
    public RawLayout? From(ParseResult result) =>
        result.GetValue(_raw) is NpyDType dtype
            // An absent array option reads as an empty array, which would be the shape of a 0-d array: look for the option itself.
            ? new RawLayout(dtype, result.GetValue(_offset) ?? 0, result.GetResult(_shape) is null ? null : result.GetValue(_shape), result.GetValue(_fortran))
            : null;

    private static NpyDType? ParseDType(ArgumentResult result)
    {
        string text = result.Tokens[0].Value;
        try
        {
            return NpyDType.Parse(s_names.GetValueOrDefault(text, text));
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            result.AddError($"--raw {text}: {e.Message}");
            return null;
        }
    }

    private static long[]? ParseShape(ArgumentResult result)
    {
        string text = result.Tokens[0].Value;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        long[] shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                result.AddError($"--shape takes comma-separated non-negative whole numbers; not '{text}'.");
                return null;
            }
        }
        return shape;
    }
}
