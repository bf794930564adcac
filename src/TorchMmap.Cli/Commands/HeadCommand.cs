using System.Globalization;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Cli.Commands;

/// <summary><c>npy head FILE [N]</c>: the first N rows (default 5), one line each, long rows cut short.</summary>
internal static class HeadCommand
{
    public const string Usage = "head FILE [N]      the first N rows (default 5), one per line";

    private const int MaxValuesPerRow = 16;

    public static int Run(CommandArguments args, TextWriter stdout)
    {
        string path = args[0];
        RawLayout? raw = RawLayout.From(args);
        long rows = args.PositiveLong(1, 5);
        foreach (string name in ArrayFile.Names(path, raw))
        {
            using NpyArray array = ArrayFile.Open(path, name, raw);
            if (name.Length > 0)
                stdout.WriteLine($"{name}:");
            if (array.Rank == 0)
            {
                using Tensor scalar = array.ToTensor();
                stdout.WriteLine(FormatValues(scalar, 1));
                continue;
            }
            long count = Math.Min(rows, array.Length);
            using Tensor head = array.ReadRows(0, count);
            for (long r = 0; r < count; r++)
            {
                using Tensor row = head[r];
                stdout.WriteLine($"[{r}] {FormatValues(row, MaxValuesPerRow)}");
            }
            if (count < array.Length)
                stdout.WriteLine($"... {array.Length - count} more rows of {array.Header.FormatShape()}");
        }
        return ExitCodes.Success;
    }

    private static string FormatValues(Tensor values, int max)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor flat = values.flatten();
        long total = flat.numel();
        Tensor shown = flat.narrow(0, 0, Math.Min(total, max));
        IEnumerable<string> text = shown.dtype switch
        {
            ScalarType.Bool => shown.data<bool>().ToArray().Select(b => b ? "True" : "False"),
            ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64 => Complex(shown),
            _ when shown.is_floating_point() => shown.to_type(ScalarType.Float64).data<double>().ToArray().Select(v => v.ToString("G6", CultureInfo.InvariantCulture)),
            _ => shown.to_type(ScalarType.Int64).data<long>().ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)),
        };
        string joined = string.Join(" ", text);
        return total > max ? $"{joined} ... ({total} values)" : joined;
    }

    private static IEnumerable<string> Complex(Tensor values)
    {
        double[] parts = torch.view_as_real(values.to_type(ScalarType.ComplexFloat64)).data<double>().ToArray();
        for (int i = 0; i < parts.Length; i += 2)
            yield return string.Create(CultureInfo.InvariantCulture, $"{parts[i]:G6}{(parts[i + 1] < 0 ? "-" : "+")}{Math.Abs(parts[i + 1]):G6}j");
    }
}
