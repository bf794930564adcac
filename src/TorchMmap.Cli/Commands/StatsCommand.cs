using System.Globalization;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Cli.Commands;

/// <summary>
/// <c>npy stats FILE</c>: count, min, max and mean of each array, read from the memory mapping a chunk of rows at a time,
/// so the memory used stays bounded whatever the file's size.
/// </summary>
internal static class StatsCommand
{
    public const string Usage = "stats FILE         count, min, max and mean of each array, streamed in chunks (bounded memory)";

    /// <summary>Bytes of rows converted per chunk.</summary>
    public const long ChunkBytes = 8 << 20;

    public static int Run(CommandArguments args, TextWriter stdout)
    {
        string path = args[0];
        RawLayout? raw = RawLayout.From(args);
        foreach (string name in ArrayFile.Names(path, raw))
        {
            using NpyArray array = ArrayFile.Open(path, name, raw);
            if (array.DType.Kind == Format.NpyKind.Complex)
                throw new NotSupportedException($"'{ArrayFile.Label(path, name)}' is {array.DType.Descr}: complex numbers have no min or max.");
            (long count, double min, double max, double mean) = Compute(array);
            string label = ArrayFile.Label(path, name);
            stdout.WriteLine(count == 0
                ? $"{label}: {array.DType.Descr} {array.Header.FormatShape()} count 0 (no min, max or mean)"
                : string.Create(CultureInfo.InvariantCulture, $"{label}: {array.DType.Descr} {array.Header.FormatShape()} count {count} min {min:G9} max {max:G9} mean {mean:G9}"));
        }
        return ExitCodes.Success;
    }

    /// <summary>Count, min, max and mean of every element, visiting the rows in chunks of about <see cref="ChunkBytes"/>.</summary>
    public static (long Count, double Min, double Max, double Mean) Compute(NpyArray array)
    {
        if (array.Rank == 0)
        {
            using Tensor scalar = array.ToTensor();
            (long n, double lo, double hi, double s) = Partial(scalar);
            return (n, lo, hi, s / n);
        }
        long rowsPerChunk = Math.Max(1, ChunkBytes / Math.Max(1, array.RowBytes));
        long count = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        for (long start = 0; start < array.Length; start += rowsPerChunk)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor chunk = array.ReadRows(start, Math.Min(rowsPerChunk, array.Length - start));
            (long n, double lo, double hi, double s) = Partial(chunk);
            count += n;
            // NaN anywhere makes min, max and mean NaN, as NumPy's min/max/mean do.
            min = double.IsNaN(lo) || double.IsNaN(min) ? double.NaN : Math.Min(min, lo);
            max = double.IsNaN(hi) || double.IsNaN(max) ? double.NaN : Math.Max(max, hi);
            sum += s;
        }
        return (count, min, max, count == 0 ? double.NaN : sum / count);
    }

    private static (long Count, double Min, double Max, double Sum) Partial(Tensor chunk)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        long n = chunk.numel();
        if (n == 0)
            return (0, double.PositiveInfinity, double.NegativeInfinity, 0);
        // Sums are taken in float64 so a long stream of chunks does not lose precision.
        Tensor values = chunk.to_type(ScalarType.Float64);
        return (n, values.min().item<double>(), values.max().item<double>(), values.sum().item<double>());
    }
}
