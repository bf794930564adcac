namespace TorchMmap.Benchmarks;

/// <summary>nanoGPT's <c>get_batch</c> idiom (train.py: a fresh np.memmap per call, torch.randint starts, torch.stack of
/// from_numpy(x[i:i+T].astype(np.int64)) windows), timed by real PyTorch at /usr/bin/python3 on the same file.</summary>
internal static class TokensPython
{
    public const string PythonPath = "/usr/bin/python3";

    private const string Script = ColdCache.PythonDrop + "\n" + """
import json, os, sys, time
import numpy as np
import torch
path, B, T, batches, seed, drop, timeout = sys.argv[1:]
B, T, batches, timeout = int(B), int(T), int(batches), float(timeout)
torch.manual_seed(int(seed))
def get_batch():
    data = np.memmap(path, dtype=np.uint16, mode='r')
    ix = torch.randint(len(data) - T, (B,))
    x = torch.stack([torch.from_numpy((data[i:i+T]).astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy((data[i+1:i+1+T]).astype(np.int64)) for i in ix])
    return x, y
def status(field):
    for line in open('/proc/self/status'):
        if line.startswith(field + ':'):
            return int(line.split()[1])
    return 0
def read_bytes():
    for line in open('/proc/self/io'):
        if line.startswith('read_bytes:'):
            return int(line.split()[1])
    return 0
def major_faults():
    s = open('/proc/self/stat').read()
    return int(s[s.rindex(')') + 2:].split()[9])
# Warm-up (hot runs only: a cold run's data leaves the cache next, so it only loads the modules' code).
for _ in range(max(1, batches // 10) if drop == 'hot' else 3):
    get_batch()
if drop != 'hot':
    drop_cache(drop, path)
faults, read = major_faults(), read_bytes()
done = 0
t0 = time.perf_counter()
while done < batches and time.perf_counter() - t0 < timeout:
    get_batch()
    done += 1
seconds = time.perf_counter() - t0
print('RESULT ' + json.dumps({'Workload': 'tokens', 'Order': 'randint', 'Contender': 'python-get_batch', 'EpochSeconds': [seconds],
    'Samples': done, 'ImageBytes': done * B * T * 16, 'PeakRssKiB': status('VmHWM'), 'PeakAnonKiB': status('RssAnon'),
    'WaitSeconds': 0, 'MajorFaults': major_faults() - faults, 'DiskReadBytes': read_bytes() - read}))
""";

    public static RunResult? Run(TokenWorkload w, string dir, int batches, string? drop, double timeoutSeconds, string? shellPrefix = null) =>
        ChildProcess.RunCommand(
            [PythonPath, "-c", Script, w.PathIn(dir), Str(w.BatchSize), Str(w.BlockSize), Str(batches), Str(w.Seed), drop ?? "hot", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            shellPrefix, TimeSpan.FromSeconds(timeoutSeconds + 300)).FirstOrDefault();

    private static string Str(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
