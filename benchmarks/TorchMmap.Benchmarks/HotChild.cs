using System.Diagnostics;
using System.Text.Json;

namespace TorchMmap.Benchmarks;

/// <summary>Runs one contender in this process: open, one untimed warm-up epoch, then timed epochs.</summary>
internal static class HotChild
{
    public static int Run(string workloadName, string order, string contenderName, string dir, int epochs)
    {
        Workload workload = Workload.Find(workloadName);
        var contender = Contenders.Find(contenderName);
        using ProcStats stats = ProcStats.StartSampling();
        using IContender c = contender.Create(workload, dir, order == "shuffled");
        long samples = c.RunEpoch(0);
        if (samples != workload.Rows)
            throw new InvalidOperationException($"{contenderName} produced {samples} samples of {workload.Rows}.");
        TimeSpan waitBefore = c.Wait;
        long faults = ProcStats.MajorFaults();
        var seconds = new double[epochs];
        for (int e = 0; e < epochs; e++)
        {
            long t0 = Stopwatch.GetTimestamp();
            samples = c.RunEpoch(e + 1);
            seconds[e] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        var result = new RunResult(workload.Name, order, contenderName, seconds, samples, workload.ImageBytes,
            ProcStats.Status("VmHWM"), stats.PeakAnonKiB, (c.Wait - waitBefore).TotalSeconds / epochs, ProcStats.MajorFaults() - faults);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }
}
