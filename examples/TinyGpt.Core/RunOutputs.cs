using System.Globalization;
using System.Text;

namespace TinyGpt;

/// <summary>The files a run writes into its output folder.</summary>
/// <param name="Directory">The output folder.</param>
public sealed record RunOutputs(string Directory)
{
    /// <summary>The token files and their manifest, one folder per tokenizer.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <returns>The folder.</returns>
    public string DataDirectory(TokenizerKind tokenizer) => Path.Combine(Directory, "data-" + tokenizer.ToString().ToLowerInvariant());

    /// <summary>The trained weights, in TorchSharp's format (load with <c>module.load(path)</c>).</summary>
    public string Model => Path.Combine(Directory, "tiny-gpt.bin");

    /// <summary>The loss curve.</summary>
    public string LossCurve => Path.Combine(Directory, "loss.png");

    /// <summary>The loss estimates as CSV.</summary>
    public string MetricsCsv => Path.Combine(Directory, "metrics.csv");

    /// <summary>The generated sample.</summary>
    public string Sample => Path.Combine(Directory, "sample.txt");

    /// <summary>Writes the metrics, the chart and the sample of a finished run.</summary>
    /// <param name="report">The run's report.</param>
    /// <param name="bigramLoss">The bigram baseline's validation loss, nats per token.</param>
    /// <param name="vocabularySize">V.</param>
    /// <param name="sample">The generated text.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public void Write(TrainingReport report, double bigramLoss, int vocabularySize, string sample)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(sample);
        System.IO.Directory.CreateDirectory(Directory);
        var metrics = new StringBuilder("step,train_loss,val_loss,lr,seconds\n");
        foreach (EvalPoint p in report.Curve)
            metrics.Append(CultureInfo.InvariantCulture, $"{p.Step},{p.TrainLoss:F6},{p.ValidationLoss:F6},{p.LearningRate:E4},{p.Elapsed.TotalSeconds:F2}\n");
        File.WriteAllText(MetricsCsv, metrics.ToString());
        File.WriteAllText(Sample, sample);
        LossChart.Write(LossCurve, report.Curve, bigramLoss, vocabularySize,
            string.Create(CultureInfo.InvariantCulture, $"Tiny GPT ({report.Parameters:N0} parameters): loss per token, V = {vocabularySize}"));
    }
}
