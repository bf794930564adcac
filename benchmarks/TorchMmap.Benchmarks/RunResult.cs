namespace TorchMmap.Benchmarks;

/// <summary>What one child process measured for one contender.</summary>
internal sealed record RunResult(
    string Workload,
    string Order,
    string Contender,
    double[] EpochSeconds,
    long Samples,
    long ImageBytes,
    long PeakRssKiB,
    long PeakAnonKiB,
    double WaitSeconds,
    long MajorFaults,
    long[]? AnonKiBSeries = null,
    long? DiskReadBytes = null)
{
    public double Median
    {
        get
        {
            double[] s = EpochSeconds.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }

    public double SamplesPerSecond => Samples / Median;

    public double GBps => ImageBytes / Median / 1e9;
}
