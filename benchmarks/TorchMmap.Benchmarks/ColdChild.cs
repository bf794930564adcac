using System.Diagnostics;
using System.Text.Json;
using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>One cold-cache epoch in this process (which the parent has put in a memory cgroup), time-boxed; with
/// <c>--epochs N</c>, the loader first runs N - 1 untimed epochs, so the timed one is what later epochs of training see.</summary>
internal static unsafe class ColdChild
{
    public static int Run(Options options)
    {
        string dir = options.Data;
        string contender = options.Get("contender", "loader");
        string order = options.Get("order", "sequential");
        double timeout = options.GetInt("timeout-s", 120);
        Workload w = Workload.ColdCifar(options.GetInt("rows", 160_000), options.Get("page", "false") == "true") with { BatchSize = options.GetInt("batch", 256) };
        Sampler sampler = MakeSampler(w, order);
        long[] indices = sampler.GetIndices();
        using ProcStats stats = ProcStats.StartSampling();
        // Everything but the epoch happens before the data leaves the page cache: TorchSharp's native libraries are loaded,
        // the files opened, the loader made, so the timed part reads only the data.
        using (Tensor warm = torch.zeros(1))
        {
        }
        using var images = new RawMapping(w.ImagesPath(dir), w.SampleBytes);
        // "default" is the loader with every option at its default; "loader" sets num_workers, prefetch_factor and pageHints.
        using LoaderContender? loader = contender switch
        {
            "naive" => null,
            "default" => new LoaderContender(w, dir, shuffle: false, workers: null, copyThreads: null, sampler: sampler),
            _ => new LoaderContender(w, dir, shuffle: false, workers: options.GetInt("workers", 2), copyThreads: null,
                prefetch: options.GetInt("prefetch", 4), sampler: sampler, pageHints: options.Get("hints", "true") == "true"),
        };
        int epochs = options.GetInt("epochs", 1);
        if (epochs > 1 && loader is null)
            throw new ArgumentException("--epochs applies to the loader only.");
        for (int e = 1; e < epochs; e++)
        {
            foreach (Dictionary<string, Tensor> batch in loader!.Loader)
            {
            }
        }
        using var self = Process.GetCurrentProcess();
        ColdCache.Drop(ColdCache.Mode(options), [w.ImagesPath(dir), w.LabelsPath(dir)]);
        long faults0 = ProcStats.MajorFaults();
        self.Refresh();
        TimeSpan cpu0 = self.TotalProcessorTime;
        long t0 = Stopwatch.GetTimestamp();
        long samples = 0;
        if (loader is null)
        {
            // What plain mmap code does: one row at a time, in order, no hints.
            byte[] row = new byte[w.SampleBytes];
            fixed (byte* dst = row)
            {
                foreach (long i in indices)
                {
                    Buffer.MemoryCopy(images.Data + i * w.SampleBytes, dst, row.Length, row.Length);
                    if ((++samples & 255) == 0 && Stopwatch.GetElapsedTime(t0).TotalSeconds > timeout)
                        break;
                }
            }
        }
        else
        {
            foreach (Dictionary<string, Tensor> batch in loader.Loader)
            {
                samples += batch["label"].shape[0];
                if (Stopwatch.GetElapsedTime(t0).TotalSeconds > timeout)
                    break;
            }
        }
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        self.Refresh();
        double cpuSeconds = (self.TotalProcessorTime - cpu0).TotalSeconds;
        var result = new RunResult(w.Name, order, contender, [seconds], samples, samples * w.SampleBytes,
            ProcStats.Status("VmHWM"), stats.PeakAnonKiB, 0, ProcStats.MajorFaults() - faults0, EpochCpuSeconds: [cpuSeconds]);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    private static Sampler MakeSampler(Workload w, string order) => order switch
    {
        "sequential" => new SequentialSampler(w.Rows),
        "random" => new RandomSampler(w.Rows, seed: 1),
        "block" => BlockShuffleSampler.ForRowBytes(w.Rows, w.SampleBytes, seed: 1),
        _ => throw new ArgumentException($"Unknown order '{order}'; use sequential, block or random."),
    };
}
