using System.Diagnostics;
using System.Globalization;
using TorchMmap.Data;
using TorchMmap.Format;
using TorchMmap.Storage;
using TorchMmap.Text;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Documents: (1) the share of real tokens each layout gets on the King James Bible, one document per chapter, GPT-2 tokens;
/// (2) hot throughput of packed T = 2048 batches from a Megatron indexed dataset against token windows over the same .bin
/// bytes and against a plain memcpy of the same bytes, rounds interleaved, medians.
/// </summary>
internal static class DocumentsBenchmark
{
    public static int Run(Options options)
    {
        string dir = Path.Combine(options.Data, "documents");
        Directory.CreateDirectory(dir);
        int[] blocks = options.GetList("blocks", ["256", "1024", "2048"]).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        string[] parts = options.GetList("parts", ["efficiency", "hot", "cold"]);
        if (parts.Contains("efficiency"))
            Efficiency(dir, blocks, options.GetInt("batch", 8));
        if (parts.Contains("hot"))
            Throughput(dir, options.GetInt("mib", 512), options.GetInt("batches", 1500), options.GetInt("rounds", 3));
        if (parts.Contains("cold"))
            Cold(dir, options);
        return 0;
    }

    // A synthetic Megatron indexed dataset of about `mib` MiB of uint16 tokens, written once.
    private static string WriteSynthetic(string dir, int mib)
    {
        string prefix = Path.Combine(dir, $"synthetic_{mib}mib");
        if (File.Exists(prefix + ".idx"))
            return prefix;
        var random = new Random(1);
        long target = (long)mib << 19;   // uint16 tokens
        using IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, IndexedDatasetConvention.Megatron);
        long written = 0;
        while (written < target)
        {
            // Document lengths spread from 16 to about 8000 tokens (mean about 1000).
            int n = (int)Math.Min(8000, 16 + -Math.Log(1 - random.NextDouble()) * 1000);
            long[] doc = new long[n];
            for (int i = 0; i < n; i++)
                doc[i] = random.Next(0, 50257);
            writer.AddDocument(doc);
            written += n;
        }
        writer.Complete();
        return prefix;
    }

    // Packed batches against token windows over the same .bin, each case in a child process inside a memory cgroup a
    // quarter of the file's size or less, its files evicted from the page cache first; rounds alternate the order of the cases.
    private static void Cold(string dir, Options options)
    {
        if (MemoryCgroup.Unavailable is { } why)
        {
            Console.WriteLine($"Cold: skipped, {why}");
            return;
        }
        int limitMiB = options.GetInt("limit-mib", 400);
        int mib = options.GetInt("cold-mib", 1700);
        int seconds = options.GetInt("cold-seconds", 20);
        int rounds = options.GetInt("cold-rounds", 2);
        string drop = ColdCache.Mode(options);
        string prefix = WriteSynthetic(dir, mib);
        long binBytes = new FileInfo(prefix + ".bin").Length;
        if (binBytes < 4L * limitMiB * 1048576)
            Console.Error.WriteLine($"warning: the .bin ({binBytes >> 20} MiB) is less than 4x the limit ({limitMiB} MiB)");
        string[] cases = options.GetList("cold-cases", ["packed:w1", "windows:w1", "packed:w1:nohints", "windows:w1:nohints", "packed:w2:hints", "windows:w2:hints"]);
        var results = new Dictionary<string, List<(RunResult R, long Peak)>>(StringComparer.Ordinal);
        ColdCache.WakeDisk([prefix + ".bin", prefix + ".idx"]);
        string load0 = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        DateTime start = DateTime.UtcNow;
        using (MemoryCgroup cgroup = MemoryCgroup.Create("documents", limitMiB))
        {
            for (int round = 0; round < rounds; round++)
            {
                foreach (string c in round % 2 == 0 ? cases : cases.Reverse())
                {
                    string[] p = c.Split(':');
                    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} documents cold {c} in {limitMiB} MiB, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
                    cgroup.ResetPeak();
                    RunResult? r = ChildProcess.Run(
                        ["--child", "documents-cold", "--prefix", prefix, "--kind", p[0], "--workers", p[1][1..], "--hints", p.Length < 3 ? "auto" : p[2] == "hints" ? "true" : p[2] == "nohints" ? "false" : throw new ArgumentException($"Unknown setting '{p[2]}' in case '{c}'; use hints or nohints."),
                         "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--drop", drop],
                        shellPrefix: cgroup.ShellPrefix, timeout: TimeSpan.FromSeconds(seconds + 180));
                    if (r is null)
                        continue;
                    Console.Error.WriteLine(FormattableString.Invariant($"  {r.Samples * DocumentsColdChild.BatchSize * DocumentsColdChild.BlockSize / r.Median / 1e6:F1} M tokens/s, {r.MajorFaults} major faults"));
                    (results.TryGetValue(c, out var list) ? list : results[c] = []).Add((r, cgroup.PeakBytes));
                }
            }
        }
        double TokensPerSecond(RunResult r) => r.Samples * DocumentsColdChild.BatchSize * DocumentsColdChild.BlockSize / r.Median;
        double MedianRate(string c) => results.TryGetValue(c, out var l) ? Median(l.Select(x => TokensPerSecond(x.R)).ToList()) : double.NaN;
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"Cold: {binBytes / 1048576.0:F0} MiB .bin ({binBytes / (limitMiB * 1048576.0):F1}x the {limitMiB} MiB cgroup), {ColdCache.Describe(drop)} before each run, {seconds} s per run, `FeistelSampler` order, batches of {DocumentsColdChild.BatchSize} x {DocumentsColdChild.BlockSize}; {start:yyyy-MM-dd HH:mm}-{DateTime.UtcNow:HH:mm} UTC, load average {load0} at the start, {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end; medians of {rounds} rounds."));
        Console.WriteLine();
        Console.WriteLine("| case | input tokens/s | stored MB/s | x token windows (same settings) | M tokens/s each round | disk bytes read / bytes used | CPU s/GB | major faults | peak RSS MiB | peak anon MiB | cgroup peak MiB |");
        Console.WriteLine("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (string c in cases)
        {
            if (!results.TryGetValue(c, out var runs))
                continue;
            var sorted = runs.OrderBy(x => TokensPerSecond(x.R)).ToList();
            (RunResult r, long peak) = sorted[(sorted.Count - 1) / 2];
            double rate = MedianRate(c);
            string twin = c.StartsWith("packed", StringComparison.Ordinal) ? "windows" + c["packed".Length..] : c;
            Console.WriteLine(FormattableString.Invariant(
                $"| {c} | {rate / 1e6:F1} M | {rate * 2 / 1e6:F0} | {rate / MedianRate(twin):F2} | {string.Join(" ", runs.Select(x => (TokensPerSecond(x.R) / 1e6).ToString("F1", CultureInfo.InvariantCulture)))} | {(double)(r.DiskReadBytes ?? 0) / r.ImageBytes:F1} | {Median(runs.Select(x => x.R.CpuSecondsPerGB).ToList()):F2} | {r.MajorFaults} | {r.PeakRssKiB / 1024.0:F0} | {r.PeakAnonKiB / 1024.0:F0} | {peak / 1048576.0:F0} |"));
        }
        Console.WriteLine();
    }

    // One document per chapter: the `bible` command prints a "Book N" line, after an empty line, before each chapter's verses
    // (verse lines start with spaces; their wrapped continuations do not).
    private static string WriteBible(string dir)
    {
        string prefix = Path.Combine(dir, "kjv_chapter_documents");
        if (File.Exists(prefix + ".idx"))
            return prefix;
        var start = new ProcessStartInfo("bible", ["-p", "/usr/lib", "gen1:1-rev22:21"]) { RedirectStandardOutput = true };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not run `bible` (apt-get install bible-kjv).");
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var chapters = new List<string>();
        var current = new System.Text.StringBuilder();
        string previous = "";
        foreach (string line in text.Split('\n'))
        {
            bool header = previous.Length == 0 && System.Text.RegularExpressions.Regex.IsMatch(line, @"^(?:[1-3] )?[A-Z][A-Za-z ]* \d+$");
            previous = line;
            if (header)
            {
                if (current.ToString().Trim().Length > 0)
                    chapters.Add(current.ToString());
                current.Clear();
            }
            current.Append(line).Append('\n');
        }
        if (current.Length > 0)
            chapters.Add(current.ToString());
        using IndexedDatasetWriter writer = IndexedDatasetWriter.Create(prefix, NpyDType.UInt16, IndexedDatasetConvention.Megatron);
        foreach (string chapter in chapters)
        {
            // <|endoftext|> before every document, as llm.c's data scripts place it.
            long[] tokens = [Gpt2Tokenizer.EndOfText, .. Gpt2Tokenizer.Shared.Encode(chapter).Select(t => (long)t)];
            writer.AddDocument(tokens);
        }
        writer.Complete();
        return prefix;
    }

    private static void Efficiency(string dir, int[] blocks, int batch)
    {
        string prefix = WriteBible(dir);
        using IndexedDataset corpus = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        RaggedArray docs = corpus.Sequences;
        long tokens = 0, longest = 0;
        for (long d = 0; d < docs.Count; d++)
        {
            tokens += docs.LengthOf(d);
            longest = Math.Max(longest, docs.LengthOf(d));
        }
        Console.WriteLine($"KJV: {docs.Count} chapters, {tokens:N0} GPT-2 tokens (mean {tokens / (double)docs.Count:F0}, longest {longest}); batch size {batch} for the padded layouts.");
        Console.WriteLine();
        Console.WriteLine("| T | layout | sequences/rows | real tokens / positions | padding | trained targets / positions | document tokens used as inputs |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (int t in blocks)
        {
            foreach (PackingMode mode in Enum.GetValues<PackingMode>())
            {
                using var packed = new PackedDocumentDataset(docs, t, mode);
                Row(t, $"packed, {mode}", packed.Statistics);
            }
            Row(t, "padded to T", Padded(docs, t, batch, toT: true, shuffle: false));
            Row(t, "padded to longest, sequential batches", Padded(docs, t, batch, toT: false, shuffle: false));
            Row(t, "padded to longest, shuffled batches", Padded(docs, t, batch, toT: false, shuffle: true));
            using var budget = new TokenBudgetBatchDataset(docs, maxTokens: batch * t, maxLength: t, seed: 0, bucketSize: 256);
            Row(t, $"token budget N = {batch} x T", budget.ComputeStatistics());
        }
        Console.WriteLine();
    }

    private static PackingStatistics Padded(RaggedArray docs, int t, int batch, bool toT, bool shuffle)
    {
        long[] order = shuffle ? new RandomSampler(docs.Count, 0).GetIndices() : Enumerable.Range(0, (int)docs.Count).Select(i => (long)i).ToArray();
        long positions = 0, real = 0, trained = 0, total = 0;
        for (int b = 0; b < order.Length; b += batch)
        {
            long[] rows = order[b..Math.Min(order.Length, b + batch)];
            long[] lengths = rows.Select(docs.LengthOf).ToArray();
            long width = toT ? t : lengths.Max(n => Math.Min(n, t));
            positions += width * rows.Length;
            real += lengths.Sum(n => Math.Min(n, t));
            trained += lengths.Sum(n => Math.Min(n - 1, t));
            total += lengths.Sum();
        }
        return new PackingStatistics(order.Length, positions, real, trained, total);
    }

    private static void Row(int t, string layout, PackingStatistics s) =>
        Console.WriteLine(FormattableString.Invariant($"| {t} | {layout} | {s.Sequences:N0} | {s.Efficiency:P1} | {s.PaddingShare:P1} | {s.TrainedShare:P1} | {(double)s.RealTokens / s.DocumentTokens:P1} |"));

    private static unsafe void Throughput(string dir, int mib, int batches, int rounds)
    {
        const int T = 2048, B = 8;
        string prefix = WriteSynthetic(dir, mib);
        using IndexedDataset corpus = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        using TokenStream stream = TokenStream.OpenNanoGpt(prefix + ".bin");
        // The same files mapped without file leases, as on a file system that has none: every copy (tokens and index
        // entries) is then made by the kernel, which turns a page lost to truncation into an exception.
        FileLease.Enabled = false;
        using IndexedDataset unleased = IndexedDataset.Open(prefix, IndexedDatasetConvention.Megatron);
        FileLease.Enabled = true;
        Console.WriteLine(FormattableString.Invariant($"Synthetic indexed dataset: {corpus.SequenceCount:N0} documents, {stream.Count:N0} uint16 tokens ({new FileInfo(prefix + ".bin").Length / 1048576.0:F0} MiB); {batches} batches of {B} x {T} per run, shuffled, hot page cache, {rounds} rounds interleaved."));
        var results = new Dictionary<string, List<double>>();
        long tokensPerRun = (long)batches * B * T;
        for (int round = 0; round < rounds; round++)
        {
            foreach (string name in new[] { "packed split, num_workers 1 (default)", "packed split, num_workers 2", "packed split, num_workers 1, kernel copies (no lease)", "token windows, num_workers 1 (default)", "token windows, num_workers 2", "memcpy of the same bytes", "memcpy of a packed batch's bytes" })
            {
                double seconds = name switch
                {
                    "memcpy of the same bytes" => Memcpy(stream, batches * B, T),
                    "memcpy of a packed batch's bytes" => MemcpyBatches(stream, batches, B, T),
                    _ when name.Contains("no lease", StringComparison.Ordinal) => Loader(new PackedDocumentDataset(unleased.Sequences, T, PackingMode.Split), batches, B, 1),
                    _ when name.StartsWith("packed", StringComparison.Ordinal) => Loader(new PackedDocumentDataset(corpus.Sequences, T, PackingMode.Split), batches, B, name.EndsWith('2') ? 2 : 1),
                    _ => Loader(new TokenWindowDataset(stream, T), batches, B, name.EndsWith('2') ? 2 : 1),
                };
                (results.TryGetValue(name, out List<double>? list) ? list : results[name] = []).Add(seconds);
            }
        }
        double limit = Median(results["memcpy of the same bytes"]);
        double batchLimit = Median(results["memcpy of a packed batch's bytes"]);
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end."));
        Console.WriteLine();
        Console.WriteLine("| contender | median time | input tokens/s | vs memcpy of the source bytes | vs memcpy of a packed batch's bytes |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach ((string name, List<double> times) in results)
        {
            double m = Median(times);
            Console.WriteLine(FormattableString.Invariant($"| {name} | {m:F2} s | {tokensPerRun / m / 1e6:F0} M | {limit / m:F2}x | {batchLimit / m:F2}x |"));
        }
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"Peak RSS {ProcStats.Status("VmHWM") / 1024.0:F0} MiB, anonymous {ProcStats.Status("RssAnon") / 1024.0:F0} MiB at the end."));
    }

    private static double Loader(IBatchDataset dataset, int batches, int batchSize, int workers)
    {
        using var owned = (IDisposable)dataset;
        using var loader = new NpyDataLoader(dataset, batchSize, sampler: new FeistelSampler(dataset.Count, seed: 7, num_replicas: 1, rank: 0), num_workers: workers);
        var watch = Stopwatch.StartNew();
        int n = 0;
        while (n < batches)
        {
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                if (++n >= batches)
                    break;
            }
        }
        return watch.Elapsed.TotalSeconds;
    }

    // The same number of source bytes (T + 1 uint16 tokens per sample) copied from shuffled places of the mapped file.
    private static unsafe double Memcpy(TokenStream stream, int samples, int t)
    {
        using var file = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(stream.Files[0].Path, FileMode.Open, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        using var view = file.CreateViewAccessor(0, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        try
        {
            long windows = (stream.Count - 1) / t;
            byte[] destination = new byte[(t + 1) * 2];
            var random = new Random(7);
            var watch = Stopwatch.StartNew();
            fixed (byte* d = destination)
            {
                for (int i = 0; i < samples; i++)
                    Buffer.MemoryCopy(p + random.NextInt64(windows) * t * 2, d, destination.Length, destination.Length);
            }
            return watch.Elapsed.TotalSeconds;
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    // As many bytes as a packed batch holds (x, y, document_ids, position_ids int64, loss_mask float32: 36 bytes a position,
    // and T + 1 int32 boundaries a row), copied per sample from shuffled places of the mapped file into one of four batch
    // buffers in turn (the loader's slot ring holds four with one worker): what writing the layout costs at memcpy speed.
    private static unsafe double MemcpyBatches(TokenStream stream, int batches, int batchSize, int t)
    {
        using var file = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(stream.Files[0].Path, FileMode.Open, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        using var view = file.CreateViewAccessor(0, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        long sampleBytes = 36L * t + 4L * (t + 1);
        long fileBytes = stream.Count * 2;
        var buffers = new nint[4];
        for (int i = 0; i < buffers.Length; i++)
            buffers[i] = (nint)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(sampleBytes * batchSize));
        try
        {
            var random = new Random(7);
            var watch = Stopwatch.StartNew();
            for (int b = 0; b < batches; b++)
            {
                byte* batch = (byte*)buffers[b % buffers.Length];
                for (int i = 0; i < batchSize; i++)
                    Buffer.MemoryCopy(p + random.NextInt64(fileBytes - sampleBytes), batch + i * sampleBytes, sampleBytes, sampleBytes);
            }
            return watch.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (nint buffer in buffers)
                System.Runtime.InteropServices.NativeMemory.Free((void*)buffer);
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    private static double Median(List<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
