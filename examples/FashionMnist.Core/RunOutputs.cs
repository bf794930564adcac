using System.Globalization;
using System.Text;

namespace FashionMnist;

/// <summary>The files a run writes into its output folder.</summary>
/// <param name="Directory">The output folder.</param>
public sealed record RunOutputs(string Directory)
{
    /// <summary>The .npy files converted from IDX.</summary>
    public string NpyDirectory => Path.Combine(Directory, "npy");

    /// <summary>The trained weights, in TorchSharp's format (load with <c>module.load(path)</c>).</summary>
    public string Model => Path.Combine(Directory, "fashion-cnn.bin");

    /// <summary>Loss and accuracy per epoch as a chart.</summary>
    public string Curves => Path.Combine(Directory, "curves.png");

    /// <summary>The confusion matrix as a chart.</summary>
    public string ConfusionChart => Path.Combine(Directory, "confusion.png");

    /// <summary>The confusion matrix as CSV (rows: true class, columns: predicted).</summary>
    public string ConfusionCsv => Path.Combine(Directory, "confusion.csv");

    /// <summary>Per-epoch figures as CSV.</summary>
    public string MetricsCsv => Path.Combine(Directory, "metrics.csv");

    /// <summary>Writes the CSV files and the charts of a finished run.</summary>
    /// <param name="report">The run's report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="report"/> is null.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public void WriteReport(TrainingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        System.IO.Directory.CreateDirectory(Directory);
        var metrics = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n");
        foreach (EpochResult e in report.Epochs)
            metrics.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.TrainLoss:F6},{e.TrainAccuracy:F6},{e.TestLoss:F6},{e.TestAccuracy:F6},{e.Duration.TotalSeconds:F2}\n");
        File.WriteAllText(MetricsCsv, metrics.ToString());
        ConfusionMatrix c = report.Confusion;
        var confusion = new StringBuilder("true\\predicted," + string.Join(",", Enumerable.Range(0, c.Classes).Select(Name)) + "\n");
        for (int a = 0; a < c.Classes; a++)
            confusion.Append(Name(a)).Append(',').AppendJoin(',', Enumerable.Range(0, c.Classes).Select(p => c[a, p])).Append('\n');
        File.WriteAllText(ConfusionCsv, confusion.ToString());
        Charts.WriteCurves(Curves, report.Epochs);
        Charts.WriteConfusion(ConfusionChart, c, FashionClasses.Names);

        static string Name(int label) => FashionClasses.NameOf(label).Replace(',', ' ');
    }
}
