using System.Globalization;
using TorchMmap.Format;

namespace TorchMmap.Cli;

/// <summary>How to read a headerless file, as <c>np.memmap</c>'s dtype, offset, shape and order: the <c>--raw</c> options.</summary>
internal sealed record RawLayout(NpyDType DType, long Offset, long[]? Shape, bool Fortran)
{
    public const string UsageLine = "A headerless (np.memmap) file: add --raw DTYPE [--offset N] [--shape D1,D2,...] [--fortran] to info, head and stats.";

    public static readonly string[] Flags = ["--fortran"];

    public static readonly string[] Valued = ["--raw", "--offset", "--shape"];

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

    /// <summary>The layout the command line gives, or null when it does not say <c>--raw</c>.</summary>
    public static RawLayout? From(CommandArguments args)
    {
        string? dtypeText = args.Value("--raw");
        if (dtypeText is null)
        {
            if (args.Value("--offset") is not null || args.Value("--shape") is not null || args.Has("--fortran"))
                throw new UsageException($"'{args.Command}': --offset, --shape and --fortran describe a raw file; give its dtype with --raw.");
            return null;
        }
        NpyDType dtype;
        try
        {
            dtype = NpyDType.Parse(s_names.GetValueOrDefault(dtypeText, dtypeText));
        }
        catch (Exception e) when (e is FormatException or NotSupportedException)
        {
            throw new UsageException($"'{args.Command}': --raw {dtypeText}: {e.Message}");
        }
        long offset = 0;
        if (args.Value("--offset") is string o && !long.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            throw new UsageException($"'{args.Command}': --offset takes a non-negative whole number; not '{o}'.");
        long[]? shape = null;
        if (args.Value("--shape") is string s)
        {
            string[] parts = s.Split(',', StringSplitOptions.TrimEntries);
            shape = new long[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
                    throw new UsageException($"'{args.Command}': --shape takes comma-separated non-negative whole numbers; not '{s}'.");
            }
        }
        return new RawLayout(dtype, offset, shape, args.Has("--fortran"));
    }
}
