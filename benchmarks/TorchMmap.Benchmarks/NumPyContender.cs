using System.Diagnostics;
using System.Globalization;

namespace TorchMmap.Benchmarks;

/// <summary>
/// NumPy fancy indexing in Python (<c>/usr/bin/python3</c>): the same files opened with <c>np.load(mmap_mode='r')</c>,
/// each batch <c>x[idx]</c>, <c>y[idx]</c> in the same order as the other contenders (torch.randperm seeded 1 + epoch). A
/// long-lived Python process runs one epoch per request and reports the processor time it took.
/// </summary>
internal sealed class NumPyContender : IContender
{
    private const string Script = """
        import sys, time
        import numpy as np
        import torch
        x = np.load(sys.argv[1], mmap_mode='r'); y = np.load(sys.argv[2], mmap_mode='r')
        n, bs, shuffle = x.shape[0], int(sys.argv[3]), sys.argv[4] == 'shuffled'
        print('ready', flush=True)
        for line in sys.stdin:
            epoch = int(line)
            c0 = time.process_time()
            idx = torch.randperm(n, generator=torch.Generator().manual_seed(1 + epoch)).numpy() if shuffle else np.arange(n)
            samples = 0
            for s in range(0, n, bs):
                b = idx[s:s + bs]
                xb = x[b]; yb = y[b]
                samples += yb.shape[0]
            print(samples, time.process_time() - c0, flush=True)
        """;

    private readonly Process _python;

    public NumPyContender(Workload workload, string dir, bool shuffle)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(workload.ImagesPath(dir));
        start.ArgumentList.Add(workload.LabelsPath(dir));
        start.ArgumentList.Add(workload.BatchSize.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(shuffle ? "shuffled" : "sequential");
        _python = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        if (_python.StandardOutput.ReadLine() != "ready")
            throw new InvalidOperationException("The NumPy contender did not start (needs NumPy and PyTorch at /usr/bin/python3).");
    }

    public TimeSpan Wait => TimeSpan.Zero;

    public TimeSpan? LastEpochCpu { get; private set; }

    public long RunEpoch(long epoch)
    {
        _python.StandardInput.WriteLine(epoch.ToString(CultureInfo.InvariantCulture));
        _python.StandardInput.Flush();
        string[] reply = (_python.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The NumPy contender stopped.")).Split(' ');
        LastEpochCpu = TimeSpan.FromSeconds(double.Parse(reply[1], CultureInfo.InvariantCulture));
        return long.Parse(reply[0], CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        _python.StandardInput.Close();
        if (!_python.WaitForExit(10_000))
            _python.Kill();
        _python.Dispose();
    }
}
