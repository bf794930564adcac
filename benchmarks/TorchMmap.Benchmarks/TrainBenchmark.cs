using System.Diagnostics;
using System.Globalization;
using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>How long a small-CNN training step on cifar waits for its next batch, with and without prefetch.</summary>
internal static class TrainBenchmark
{
    public static int Run(Options options)
    {
        string dir = options.Data;
        int steps = options.GetInt("steps", 60);
        Workload w = Workload.Find("cifar");
        w.EnsureWritten(dir);
        Console.WriteLine("| loader | steps | step ms (median) | wait ms/step | wait % of step |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach ((string name, int workers) in new[] { ("npy-w1-c1 (prefetch)", 1), ("npy-w0-c1 (no prefetch)", 0) })
        {
            torch.manual_seed(1);
            using var model = nn.Sequential(
                nn.Conv2d(3, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(64 * 8 * 8, 10));
            using var optimizer = optim.SGD(model.parameters(), 0.01);
            using var dataset = NpyMmapDataset.Open(("image", w.ImagesPath(dir)), ("label", w.LabelsPath(dir)));
            using var loader = new NpyDataLoader(dataset, w.BatchSize, shuffle: true, seed: 1, num_workers: workers);
            var stepMs = new List<double>();
            TimeSpan waitStart = TimeSpan.Zero;
            long t0 = 0;
            int step = 0;
            const int Warmup = 5;
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                if (step == Warmup)
                {
                    waitStart = loader.WaitTime;
                    t0 = Stopwatch.GetTimestamp();
                }
                long s0 = Stopwatch.GetTimestamp();
                using (DisposeScope scope = torch.NewDisposeScope())
                {
                    Tensor loss = nn.functional.cross_entropy(model.call(batch["image"]), batch["label"].remainder(10));
                    optimizer.zero_grad();
                    loss.backward();
                    optimizer.step();
                }
                if (step >= Warmup)
                    stepMs.Add(Stopwatch.GetElapsedTime(s0).TotalMilliseconds);
                if (++step == Warmup + steps)
                    break;
            }
            double total = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            double wait = (loader.WaitTime - waitStart).TotalMilliseconds;
            double median = stepMs.Order().ElementAt(stepMs.Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {stepMs.Count} | {median:F1} | {wait / stepMs.Count:F3} | {100 * wait / total:F2} |"));
        }
        return 0;
    }
}
