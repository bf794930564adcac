using System.Diagnostics;
using System.Text.Json;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>
/// One cold-cache run in this process (which the parent has put in a memory cgroup): packed T = 2048 batches of 8 from a
/// Megatron indexed dataset, or token windows of T = 2048 over the same .bin bytes, in a shuffled order, time-boxed.
/// </summary>
internal static class DocumentsColdChild
{
    public const int BlockSize = 2048;
    public const int BatchSize = 8;

    public static int Run(Options options)
    {
        string prefix = options.Get("prefix", "");
        string kind = options.Get("kind", "packed");
        int workers = options.GetInt("workers", 1);
        // pageHints: true, false, or the loader's default (auto).
        bool? hints = options.Get("hints", "auto") switch { "true" => true, "false" => false, _ => null };
        double seconds = options.GetInt("seconds", 20);
        // TorchSharp's native libraries load, the files open and the loader is made before the data leaves the page cache.
        using (Tensor warm = torch.zeros(1))
        {
        }
        using IndexedDataset corpus = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        using TokenStream stream = TokenStream.OpenNanoGpt(prefix + ".bin");
        IBatchDataset dataset = kind == "packed" ? new PackedDocumentDataset(corpus.Sequences, BlockSize, PackingMode.Split) : new TokenWindowDataset(stream, BlockSize);
        using var owned = (IDisposable)dataset;
        using var loader = new NpyDataLoader(dataset, BatchSize, sampler: new FeistelSampler(dataset.Count, seed: 7, num_replicas: 1, rank: 0), num_workers: workers, pageHints: hints);
        using ProcStats stats = ProcStats.StartSampling();
        using var self = Process.GetCurrentProcess();
        // The .idx is read whole when the dataset opens and stays mapped; the timed part reads the .bin.
        ColdCache.Drop(ColdCache.Mode(options), [prefix + ".bin"]);
        long faults0 = ProcStats.MajorFaults(), read0 = ProcStats.DiskReadBytes();
        self.Refresh();
        TimeSpan cpu0 = self.TotalProcessorTime;
        long t0 = Stopwatch.GetTimestamp();
        long batches = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            if ((++batches & 7) == 0 && Stopwatch.GetElapsedTime(t0).TotalSeconds > seconds)
                break;
        }
        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        self.Refresh();
        // The bytes counted are the stored tokens each sample reads (T + 1 uint16), the same for both layouts.
        var result = new RunResult("documents", "feistel", kind, [elapsed], batches, batches * BatchSize * (BlockSize + 1L) * 2,
            ProcStats.Status("VmHWM"), stats.PeakAnonKiB, loader.WaitTime.TotalSeconds, ProcStats.MajorFaults() - faults0,
            DiskReadBytes: ProcStats.DiskReadBytes() - read0, EpochCpuSeconds: [(self.TotalProcessorTime - cpu0).TotalSeconds]);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }
}
