using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchMmap.Data;
using static TorchSharp.torch;

namespace TorchMmap.LaunchProbe;

/// <summary>
/// One rank of a multi-process run: reads its <see cref="DistributedSampler"/> share of one epoch (rank and world size from
/// the launcher's variables), then every row of the file once more, and reports the rows it saw and its memory while all
/// ranks still map the file. Usage: <c>LaunchProbe x.npy label.npy outDir batchSize seed epoch</c>.
/// </summary>
internal static class Program
{
    private static readonly TimeSpan BarrierTimeout = TimeSpan.FromMinutes(3);

    private static int Main(string[] args)
    {
        if (args.Length != 6)
        {
            Console.Error.WriteLine("usage: TorchMmap.LaunchProbe x.npy label.npy outDir batchSize seed epoch");
            return 2;
        }

        string x = args[0], label = args[1], outDir = args[2];
        int batchSize = int.Parse(args[3], CultureInfo.InvariantCulture);
        long seed = long.Parse(args[4], CultureInfo.InvariantCulture);
        long epoch = long.Parse(args[5], CultureInfo.InvariantCulture);

        LaunchEnvironment launch = LaunchEnvironment.Detect();
        using var dataset = NpyMmapDataset.Open(("x", x), ("label", label));

        // The share: the sampler takes the rank and world size from the launcher, as in a training script.
        var sampler = new DistributedSampler(dataset.Count, seed: seed);
        var seen = new List<long>();
        using (var loader = new NpyDataLoader(dataset, batchSize, sampler: sampler, num_workers: 1))
        {
            loader.SetEpoch(epoch);
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                long[] labels = batch["label"].data<long>().ToArray();
                float[] firsts = batch["x"].select(1, 0).data<float>().ToArray();
                for (int i = 0; i < labels.Length; i++)
                {
                    // Row i of x holds the value i: the rows read are the rows asked for.
                    if (firsts[i] != labels[i])
                    {
                        throw new InvalidDataException($"Rank {launch.Rank}: x row {labels[i]} holds {firsts[i]}.");
                    }
                }

                seen.AddRange(labels);
            }
        }

        // Every row once more, so that each rank maps the whole file: its pages are in the page cache once, shared by all.
        double checksum = 0;
        using (var all = new NpyDataLoader(dataset, 2048, num_workers: 0))
        {
            foreach (Dictionary<string, Tensor> batch in all)
            {
                checksum += batch["x"].select(1, 1023).sum().item<float>();
            }
        }

        Barrier(outDir, "ready", launch);
        (long mappingRss, long mappingPss) = MappingOf(Path.GetFullPath(x));
        Dictionary<string, long> status = Status("RssAnon", "RssFile", "RssShmem", "VmHWM");
        var result = new
        {
            launch.Launcher,
            launch.Rank,
            launch.WorldSize,
            launch.LocalRank,
            launch.LocalWorldSize,
            sampler.NumReplicas,
            SamplerRank = sampler.Rank,
            Indices = seen,
            Checksum = checksum,
            MappingRssKiB = mappingRss,
            MappingPssKiB = mappingPss,
            RssAnonKiB = status["RssAnon"],
            RssFileKiB = status["RssFile"],
            RssShmemKiB = status["RssShmem"],
            VmHwmKiB = status["VmHWM"],
        };
        File.WriteAllText(Path.Combine(outDir, $"rank-{launch.Rank}.json"), JsonSerializer.Serialize(result));

        // Stay mapped until every rank has measured: Pss splits a shared page among the processes mapping it then.
        Barrier(outDir, "measured", launch);
        return 0;
    }

    // Marks this rank as having reached `name` and waits until every rank has.
    private static void Barrier(string outDir, string name, LaunchEnvironment launch)
    {
        File.WriteAllText(Path.Combine(outDir, $"{name}-{launch.Rank}"), "");
        var clock = Stopwatch.StartNew();
        while (Directory.GetFiles(outDir, $"{name}-*").Length < launch.WorldSize)
        {
            if (clock.Elapsed > BarrierTimeout)
            {
                throw new TimeoutException($"Rank {launch.Rank}: not every rank reached '{name}' within {BarrierTimeout}.");
            }

            Thread.Sleep(50);
        }
    }

    // Rss and Pss (KiB) of this process's mappings of `path`, from /proc/self/smaps.
    private static (long Rss, long Pss) MappingOf(string path)
    {
        long rss = 0, pss = 0;
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            // A mapping's header is "start-end perms offset dev inode [path]"; its fields are "Name: value kB".
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 5 && !parts[0].EndsWith(':') && parts[0].Contains('-', StringComparison.Ordinal))
            {
                inside = parts.Length >= 6 && string.Join(' ', parts[5..]) == path;
            }
            else if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                rss += Kib(line);
            }
            else if (inside && line.StartsWith("Pss:", StringComparison.Ordinal))
            {
                pss += Kib(line);
            }
        }

        return (rss, pss);
    }

    private static Dictionary<string, long> Status(params string[] names)
    {
        var values = names.ToDictionary(n => n, _ => 0L);
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && values.ContainsKey(line[..colon]))
            {
                values[line[..colon]] = Kib(line);
            }
        }

        return values;
    }

    private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
