using System.Diagnostics;
using System.Globalization;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Row reads from a Fortran-order file against the same array in C order (the plain copy), interleaved in one process:
/// sequential batches with <see cref="NpyArray.ReadRows"/> and shuffled batches with <see cref="NpyArray.Gather"/>.
/// <c>fortran [--rows 60000] [--epochs 9] [--batch 256] [--dtype &lt;f4]</c>; rows are 28×28.
/// </summary>
internal static class FortranBenchmark
{
    public static int Run(Options options)
    {
        int rows = options.GetInt("rows", 60_000), epochs = options.GetInt("epochs", 9), batch = options.GetInt("batch", 256);
        NpyDType dtype = NpyDType.Parse(options.Get("dtype", "<f4"));
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-fortran-bench-");
        try
        {
            string c = Path.Combine(dir.FullName, "c.npy"), f = Path.Combine(dir.FullName, "f.npy");
            Write(c, dtype, rows, fortran: false);
            Write(f, dtype, rows, fortran: true);
            using NpyArray cArray = NpyArray.Open(c), fArray = NpyArray.Open(f);
            long[] order = Enumerable.Range(0, rows).Select(i => (long)i).ToArray();
            new Random(1).Shuffle(order);
            var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                foreach ((string name, NpyArray array) in new[] { ("C", cArray), ("Fortran", fArray) })
                {
                    Time(times, $"{name} sequential", () => Sequential(array, batch));
                    Time(times, $"{name} shuffled", () => Shuffled(array, order, batch));
                }
            }
            double bytes = (double)rows * cArray.RowElements * dtype.LoadedItemSize;
            Console.WriteLine($"fortran: {rows} rows of 28x28 {dtype}, batch {batch}, median of {epochs} interleaved epochs");
            Console.WriteLine();
            Console.WriteLine("| read | C order GB/s | Fortran order GB/s | Fortran / C |");
            Console.WriteLine("|---|---:|---:|---:|");
            foreach (string kind in new[] { "sequential", "shuffled" })
            {
                double cs = Median(times[$"C {kind}"]), fs = Median(times[$"Fortran {kind}"]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kind} | {bytes / cs / 1e9:0.00} | {bytes / fs / 1e9:0.00} | {cs / fs:0.00} |"));
            }
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Write(string path, NpyDType dtype, int rows, bool fortran)
    {
        using NpyArray array = NpyArray.Create(path, dtype, [rows, 28, 28], fortran);
        using DisposeScope scope = NewDisposeScope();
        array.WriteRows(0, (arange(rows * 784L, dtype: ScalarType.Int64) % 251).to(dtype.ScalarType).reshape(rows, 28, 28));
    }

    private static void Sequential(NpyArray array, int batch)
    {
        for (long start = 0; start < array.Length; start += batch)
        {
            using Tensor t = array.ReadRows(start, Math.Min(batch, array.Length - start));
        }
    }

    private static void Shuffled(NpyArray array, long[] order, int batch)
    {
        for (int start = 0; start < order.Length; start += batch)
        {
            using Tensor t = array.Gather(order.AsSpan(start, Math.Min(batch, order.Length - start)));
        }
    }

    private static void Time(Dictionary<string, List<double>> times, string name, Action run)
    {
        long started = Stopwatch.GetTimestamp();
        run();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (!times.TryGetValue(name, out List<double>? list))
            times[name] = list = [];
        list.Add(seconds);
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
