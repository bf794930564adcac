using System.Diagnostics;
using System.Text.Json;

namespace TorchMmap.Benchmarks;

/// <summary>
/// Times every contender in one process, epoch by epoch in turn, so that load from other processes on a shared machine
/// falls on all of them alike and the ratios stay meaningful. Memory is measured separately, one process per contender.
/// </summary>
internal static class InterleavedChild
{
    /// <param name="round">The round this process times, which seeds the order contenders take their turns in.</param>
    public static int Run(string workloadName, string order, string dir, int epochs, string[] contenderNames, int round)
    {
        Workload workload = Workload.Find(workloadName);
        var contenders = new List<(string Name, IContender C)>();
        var random = new Random(round);
        try
        {
            // Made in an order of the round's own: with one order in every round, whatever that order favours (where each
            // contender's batches, rings and threads land in memory) favours the same contenders in every round, and two
            // contenders that run the same code measured 13% apart in every round of a run.
            string[] creation = [.. contenderNames];
            random.Shuffle(creation);
            foreach (string name in creation)
            {
                IContender c = Contenders.Find(name).Create(workload, dir, order == "shuffled");
                contenders.Add((name, c));
                if (c.RunEpoch(0) != workload.Rows)
                    throw new InvalidOperationException($"{name} produced the wrong number of samples.");
            }
            var seconds = contenders.Select(_ => new double[epochs]).ToArray();
            var cpu = contenders.Select(_ => new double[epochs]).ToArray();
            using Process self = Process.GetCurrentProcess();
            var waits = contenders.Select(c => c.C.Wait).ToArray();
            int[] turns = [.. Enumerable.Range(0, contenders.Count)];
            for (int e = 0; e < epochs; e++)
            {
                // A new order every epoch, so no contender always runs right after the same neighbour: an epoch of a few
                // milliseconds runs measurably slower after a one-thread neighbour left the second core idle, and a fixed
                // order (a rotation keeps the neighbours) would pin that on whichever contender comes next.
                random.Shuffle(turns);
                foreach (int i in turns)
                {
                    self.Refresh();
                    TimeSpan c0 = self.TotalProcessorTime;
                    long t0 = Stopwatch.GetTimestamp();
                    contenders[i].C.RunEpoch(e + 1);
                    seconds[i][e] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    self.Refresh();
                    // User + system time of this process over the epoch, or what an out-of-process contender reports.
                    cpu[i][e] = (contenders[i].C.LastEpochCpu ?? (self.TotalProcessorTime - c0)).TotalSeconds;
                }
            }
            for (int i = 0; i < contenders.Count; i++)
            {
                var r = new RunResult(workload.Name, order, contenders[i].Name, seconds[i], workload.Rows, workload.ImageBytes, 0, 0,
                    (contenders[i].C.Wait - waits[i]).TotalSeconds / epochs, 0, EpochCpuSeconds: cpu[i]);
                Console.WriteLine("RESULT " + JsonSerializer.Serialize(r));
            }
        }
        finally
        {
            foreach ((_, IContender c) in contenders)
                c.Dispose();
        }
        return 0;
    }
}
