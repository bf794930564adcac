using System.CommandLine;
using System.Globalization;
using TorchMmap.Format;

namespace TorchMmap.Cli.Commands;

/// <summary>
/// <c>npy stats FILE</c>: count, min, max and mean of each array, read a chunk at a time, so the memory used stays
/// bounded whatever the file's size; .npy, raw and (stored or compressed) .npz arrays alike.
/// </summary>
internal static class StatsCommand
{
    /// <summary>Bytes of data read per chunk.</summary>
    public const long ChunkBytes = 8 << 20;

    public static Command Create()
    {
        Argument<string> file = ArrayFile.Argument();
        var raw = new RawLayoutOptions();
        var command = new Command("stats", "Count, min, max and mean of each array, read in 8 MiB chunks (bounded memory; NaN propagates as in NumPy).") { file };
        raw.AddTo(command);
        command.SetAction(result => Run(result.GetRequiredValue(file), raw.From(result), result.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string path, RawLayout? raw, TextWriter stdout)
    {
        foreach (string name in ArrayFile.Names(path, raw))
        {
            using ArrayData array = ArrayData.Open(path, name, raw);
            NpyHeader header = array.Header;
            if (header.DType.Kind == NpyKind.Complex)
                throw new NotSupportedException($"'{array.Label}' is {header.Descr}: complex numbers have no min or max.");
            (long count, double min, double max, double mean) = Compute(array);
            stdout.WriteLine(count == 0
                ? $"{array.Label}: {header.Descr} {header.FormatShape()} count 0 (no min, max or mean)"
                : string.Create(CultureInfo.InvariantCulture, $"{array.Label}: {header.Descr} {header.FormatShape()} count {count} min {min:G9} max {max:G9} mean {mean:G9}"));
        }
        return ExitCodes.Success;
    }

    /// <summary>Count, min, max and mean of every element, reading about <see cref="ChunkBytes"/> at a time.</summary>
    public static (long Count, double Min, double Max, double Mean) Compute(ArrayData array)
    {
        NpyDType dtype = array.Header.DType;
        int item = dtype.ItemSize;
        long total = array.Header.DataLength;
        byte[] buffer = new byte[(int)Math.Min(total, ChunkBytes / item * item)];
        long count = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        for (long done = 0; done < total;)
        {
            int n = (int)Math.Min(buffer.Length, total - done);
            array.ReadAt(done, buffer.AsSpan(0, n));
            for (int i = 0; i < n; i += item)
            {
                double v = ElementFormat.ToDouble(dtype, buffer.AsSpan(i, item));
                // NaN anywhere makes min, max and mean NaN, as NumPy's min/max/mean do. Sums are taken in float64.
                min = double.IsNaN(v) || double.IsNaN(min) ? double.NaN : Math.Min(min, v);
                max = double.IsNaN(v) || double.IsNaN(max) ? double.NaN : Math.Max(max, v);
                sum += v;
            }
            count += n / item;
            done += n;
        }
        return (count, min, max, count == 0 ? double.NaN : sum / count);
    }
}
