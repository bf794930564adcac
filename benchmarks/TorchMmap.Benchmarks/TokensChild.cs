using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchMmap.Data;
using TorchMmap.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>The token benchmark's contenders in this process: the loader over token windows, and the memcpy limit.</summary>
internal static unsafe partial class TokensChild
{
    public static int Run(Options options)
    {
        var w = new TokenWorkload(long.Parse(options.Get("tokens", "0"), System.Globalization.CultureInfo.InvariantCulture), options.GetInt("batch", 12), options.GetInt("block", 1024), options.GetInt("seed", 1337));
        string dir = options.Data;
        int batches = options.GetInt("batches", 5000);
        string mode = options.Get("mode", "hot");
        double timeout = options.GetInt("timeout-s", 600);
        using (Tensor warm = torch.zeros(1))
        {
        }
        using TokenStream tokens = TokenStream.OpenNanoGpt(w.PathIn(dir));
        using var windows = new TokenWindowDataset(tokens, w.BlockSize, stride: 1);
        switch (mode)
        {
            case "hot":
                foreach (string contender in options.GetList("contenders", ["limit", "loader-w0", "loader", "loader-w2"]))
                    Report(w, contender, "hot", TimeOne(w, windows, contender, batches, warmup: true, drop: null, timeout));
                return 0;
            case "cold":
                Report(w, options.Get("contender", "loader"), "cold", TimeOne(w, windows, options.Get("contender", "loader"), batches, warmup: false, drop: ColdCache.Mode(options), timeout));
                return 0;
            case "soak":
                return Soak(w, windows, options.GetInt("epochs", 10), batches);
            default:
                throw new ArgumentException($"Unknown tokens child mode '{mode}'.");
        }
    }

    private static (double Seconds, long Batches, long Faults, long PeakAnonKiB, long ReadBytes) TimeOne(TokenWorkload w, TokenWindowDataset windows, string contender, int batches, bool warmup, string? drop, double timeout)
    {
        // drop: how a cold run empties the page cache (ColdCache.Drop); null for a hot run.
        bool cold = drop is not null;
        using ProcStats stats = ProcStats.StartSampling();
        // The same draws as nanoGPT's get_batch for this seed: one epoch of `batches` batches; a warm-up epoch first when hot.
        var sampler = new RandIntSampler(windows.Count, (long)batches * w.BatchSize, w.Seed);
        if (contender == "limit")
        {
            using var mapping = new RawTokens(w.PathIn(Path.GetDirectoryName(windows.Tokens.Files[0].Path)!));
            if (warmup)
                MemcpyBatches(mapping, sampler.GetIndices(), w, timeout);
            sampler.SetEpoch(1);
            long[] order = sampler.GetIndices();
            if (cold)
                ColdCache.Drop(drop!, windows.Tokens.Files.Select(f => f.Path));
            long faults = ProcStats.MajorFaults(), read = ProcStats.DiskReadBytes();
            long t0 = Stopwatch.GetTimestamp();
            long done = MemcpyBatches(mapping, order, w, timeout);
            return (Stopwatch.GetElapsedTime(t0).TotalSeconds, done, ProcStats.MajorFaults() - faults, stats.PeakAnonKiB, ProcStats.DiskReadBytes() - read);
        }
        int workers = contender switch { "loader-w0" => 0, "loader-w2" => 2, _ => 1 };
        // pageHints at its default (hints where the tokens are larger than the memory the process may use: in the cold runs,
        // none in the hot ones), except the case that shows what reading without them costs.
        using var loader = new NpyDataLoader(windows, w.BatchSize, sampler: sampler, num_workers: workers, pageHints: contender == "loader-nohints" ? false : null);
        if (warmup)
        {
            foreach (Dictionary<string, Tensor> _ in loader)
            {
            }
        }
        else
        {
            loader.SetEpoch(1);
        }
        if (cold)
            ColdCache.Drop(drop!, windows.Tokens.Files.Select(f => f.Path));
        long f0 = ProcStats.MajorFaults(), r0 = ProcStats.DiskReadBytes();
        long start = Stopwatch.GetTimestamp();
        long n = 0;
        foreach (Dictionary<string, Tensor> batch in loader)
        {
            n++;
            if ((n & 63) == 0 && Stopwatch.GetElapsedTime(start).TotalSeconds > timeout)
                break;
        }
        return (Stopwatch.GetElapsedTime(start).TotalSeconds, n, ProcStats.MajorFaults() - f0, stats.PeakAnonKiB, ProcStats.DiskReadBytes() - r0);
    }

    // The limit: per batch, fresh (B, T) int64 tensors for x and y and one memcpy per window of the bytes it hands over
    // (8T bytes each) from the mapping; no widening, no checks, no reuse.
    private static long MemcpyBatches(RawTokens mapping, long[] order, TokenWorkload w, double timeout)
    {
        int b = w.BatchSize, t = w.BlockSize;
        long rowBytes = 8L * t;
        long last = mapping.Length - rowBytes;
        long start = Stopwatch.GetTimestamp();
        long batches = 0;
        for (int k = 0; k + b <= order.Length; k += b)
        {
            using Tensor x = torch.empty([b, t], dtype: ScalarType.Int64);
            using Tensor y = torch.empty([b, t], dtype: ScalarType.Int64);
            byte* xp = (byte*)THSTensor_data(x.Handle), yp = (byte*)THSTensor_data(y.Handle);
            for (int r = 0; r < b; r++)
            {
                long s = order[k + r] * 2;
                Buffer.MemoryCopy(mapping.Data + Math.Min(s, last), xp + r * rowBytes, rowBytes, rowBytes);
                Buffer.MemoryCopy(mapping.Data + Math.Min(s + 2, last), yp + r * rowBytes, rowBytes, rowBytes);
            }
            batches++;
            if ((batches & 63) == 0 && Stopwatch.GetElapsedTime(start).TotalSeconds > timeout)
                break;
        }
        return batches;
    }

    // A million batches in epochs, with the anonymous memory after each: flat means no growth per batch.
    private static int Soak(TokenWorkload w, TokenWindowDataset windows, int epochs, int batchesPerEpoch)
    {
        var sampler = new RandIntSampler(windows.Count, (long)batchesPerEpoch * w.BatchSize, w.Seed);
        using var loader = new NpyDataLoader(windows, w.BatchSize, sampler: sampler);
        var anon = new List<long>();
        var seconds = new List<double>();
        long total = 0;
        for (int e = 0; e < epochs; e++)
        {
            long t0 = Stopwatch.GetTimestamp();
            foreach (Dictionary<string, Tensor> _ in loader)
                total++;
            seconds.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            GC.Collect();
            anon.Add(ProcStats.Status("RssAnon"));
            Console.Error.WriteLine($"  soak: {total:N0} batches, RssAnon {anon[^1] / 1024.0:F1} MiB, live tensors {torch.Tensor.TotalCount}");
        }
        var result = new RunResult("tokens", "randint", "loader-soak", seconds.ToArray(), total, total * w.BatchBytes, ProcStats.Status("VmHWM"), anon.Max(), loader.WaitTime.TotalSeconds, 0, anon.ToArray());
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    private static void Report(TokenWorkload w, string contender, string order, (double Seconds, long Batches, long Faults, long PeakAnonKiB, long ReadBytes) r)
    {
        var result = new RunResult("tokens", order, contender, [r.Seconds], r.Batches, r.Batches * w.BatchBytes, ProcStats.Status("VmHWM"), r.PeakAnonKiB, 0, r.Faults, DiskReadBytes: r.ReadBytes);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
    }

    [LibraryImport("LibTorchSharp")]
    private static partial nint THSTensor_data(nint handle);

    // A read-only mapping of the whole token file, independent of the library: the limit's source.
    private sealed class RawTokens : IDisposable
    {
        private readonly System.IO.MemoryMappedFiles.MemoryMappedFile _map;
        private readonly System.IO.MemoryMappedFiles.MemoryMappedViewAccessor _view;

        public RawTokens(string path)
        {
            Length = new FileInfo(path).Length;
            _map = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            Data = p;
        }

        public byte* Data { get; }

        public long Length { get; }

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map.Dispose();
        }
    }
}
