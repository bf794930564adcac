using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Loading an .npz of many small arrays whole: <see cref="Npy.LoadNpz(string)"/> against NumPy's <c>dict(np.load(path))</c>
/// on the same archive, for growing entry counts, so a cost that grows faster than the entries shows as a growing ratio.
/// <c>npz-entries [--entries 1000,4000,16000] [--repeats 5]</c>; each array is 10 int64 values, stored.
/// </summary>
internal static class NpzEntriesBenchmark
{
    private const string Python = "/usr/bin/python3";

    public static int Run(Options options)
    {
        int[] counts = options.Get("entries", "1000,4000,16000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        int repeats = options.GetInt("repeats", 5);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("torchmmap-npz-entries-");
        try
        {
            Console.WriteLine($"npz-entries: Npy.LoadNpz vs NumPy dict(np.load(path)), median of {repeats} loads, arrays of 10 int64");
            Console.WriteLine();
            Console.WriteLine("| entries | Npy.LoadNpz s | NumPy s | LoadNpz / NumPy |");
            Console.WriteLine("|---:|---:|---:|---:|");
            foreach (int count in counts)
            {
                string path = Path.Combine(dir.FullName, $"{count}.npz");
                using (DisposeScope scope = NewDisposeScope())
                    Npy.SaveNpz(path, Enumerable.Range(0, count).ToDictionary(i => $"a{i}", i => arange(i, i + 10, dtype: ScalarType.Int64)));
                var ours = new List<double>();
                for (int r = 0; r < repeats; r++)
                {
                    long start = Stopwatch.GetTimestamp();
                    Dictionary<string, Tensor> loaded = Npy.LoadNpz(path);
                    ours.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                    if (loaded.Count != count)
                        throw new InvalidOperationException($"Loaded {loaded.Count} arrays of {count}.");
                    foreach (Tensor t in loaded.Values)
                        t.Dispose();
                }
                double numpy = NumPySeconds(path, repeats, count);
                double median = Median(ours);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {count} | {median:0.000} | {numpy:0.000} | {median / numpy:0.00} |"));
            }
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // NumPy times itself (interpreter start-up excluded) and prints the median.
    private static double NumPySeconds(string path, int repeats, int count)
    {
        const string Script = """
            import sys, time, statistics
            import numpy as np
            times = []
            for _ in range(int(sys.argv[2])):
                t = time.perf_counter()
                with np.load(sys.argv[1]) as z:
                    d = dict(z)
                times.append(time.perf_counter() - t)
                assert len(d) == int(sys.argv[3])
            print(statistics.median(times))
            """;
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { "-c", Script, path, repeats.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"NumPy exited with {process.ExitCode}.");
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
