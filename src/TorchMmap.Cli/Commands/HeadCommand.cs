using System.CommandLine;
using TorchMmap.Format;

namespace TorchMmap.Cli.Commands;

/// <summary>
/// <c>npy head FILE [N]</c>: the first N rows (default 5), one line each, long rows cut short. Only the values shown are
/// read, so rows of any size print in bounded memory, from .npy, raw and (stored or compressed) .npz arrays alike.
/// </summary>
internal static class HeadCommand
{
    private const int MaxValuesPerRow = 16;

    public static Command Create()
    {
        Argument<string> file = ArrayFile.Argument();
        Argument<long> count = CommandLineValues.PositiveLongArgument("N", 5, "How many rows.");
        var raw = new RawLayoutOptions();
        var command = new Command("head", $"The first N rows of each array, one per line, long rows cut after {MaxValuesPerRow} values.") { file, count };
        raw.AddTo(command);
        command.SetAction(result => Run(result.GetRequiredValue(file), result.GetValue(count), raw.From(result), result.InvocationConfiguration.Output));
        return command;
    }

    private static int Run(string path, long rows, RawLayout? raw, TextWriter stdout)
    {
        foreach (string name in ArrayFile.Names(path, raw))
        {
            using ArrayData array = ArrayData.Open(path, name, raw);
            NpyHeader header = array.Header;
            if (name.Length > 0)
                stdout.WriteLine($"{name}:");
            if (header.Rank == 0)
            {
                string[] value = ReadValues(array, [0]);
                stdout.WriteLine(value[0]);
                continue;
            }
            long length = header.Shape[0];
            long rowElements = 1;
            for (int d = 1; d < header.Rank; d++)
                rowElements *= header.Shape[d];   // at most ElementCount when there are rows, so no overflow
            long count = Math.Min(rows, length);
            int shown = (int)Math.Min(rowElements, MaxValuesPerRow);
            long[] indices = new long[count * shown];
            for (long r = 0; r < count; r++)
            {
                for (int j = 0; j < shown; j++)
                    indices[r * shown + j] = ElementIndex(header, rowElements, r, j);
            }
            string[] text = ReadValues(array, indices);
            for (long r = 0; r < count; r++)
            {
                string joined = string.Join(" ", text, (int)(r * shown), shown);
                stdout.WriteLine(rowElements > shown ? $"[{r}] {joined} ... ({rowElements} values)" : $"[{r}] {joined}");
            }
            if (count < length)
                stdout.WriteLine($"... {length - count} more rows of {header.FormatShape()}");
        }
        return ExitCodes.Success;
    }

    // The flat index in the file of element j (C order within the row) of row r.
    private static long ElementIndex(NpyHeader header, long rowElements, long r, long j)
    {
        if (!header.FortranOrder)
            return r * rowElements + j;
        // Fortran order: index (r, i1, ..., ik) lies at r + n0 * (i1 + n1 * (i2 + ...)).
        var digits = new long[header.Rank];
        for (int d = header.Rank - 1; d >= 1; d--)
        {
            digits[d] = j % header.Shape[d];
            j /= header.Shape[d];
        }
        long index = r, stride = header.Shape[0];
        for (int d = 1; d < header.Rank; d++)
        {
            index += digits[d] * stride;
            stride *= header.Shape[d];
        }
        return index;
    }

    // Reads the elements at the given flat indices in file order (a compressed entry reads forward only).
    private static string[] ReadValues(ArrayData array, long[] indices)
    {
        NpyDType dtype = array.Header.DType;
        Span<byte> element = stackalloc byte[dtype.ItemSize];
        var text = new string[indices.Length];
        long last = -1;
        string previous = "";
        foreach (int i in Enumerable.Range(0, indices.Length).OrderBy(i => indices[i]))
        {
            if (indices[i] != last)
            {
                array.ReadAt(indices[i] * dtype.ItemSize, element);
                previous = ElementFormat.ToText(dtype, element);
                last = indices[i];
            }
            text[i] = previous;
        }
        return text;
    }
}
