using System.Text.Json.Serialization;

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
    long? DiskReadBytes = null,
    double[]? EpochCpuSeconds = null)
{
    /// <summary>Median processor time (user + system) per GB of image bytes delivered, or NaN when not measured.</summary>
    // Derived figures are not sent between processes (NaN, when a figure was not measured, is not valid JSON).
    [JsonIgnore]
    public double CpuSecondsPerGB
    {
        get
        {
            if (EpochCpuSeconds is not { Length: > 0 } cpu)
                return double.NaN;
            double[] s = cpu.Order().ToArray();
            double median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
            return median / (ImageBytes / 1e9);
        }
    }

    [JsonIgnore]
    public double Median
    {
        get
        {
            double[] s = EpochSeconds.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }

    [JsonIgnore]
    public double SamplesPerSecond => Samples / Median;

    [JsonIgnore]
    public double GBps => ImageBytes / Median / 1e9;
}
