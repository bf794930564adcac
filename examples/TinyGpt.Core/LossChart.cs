using ScottPlot;

namespace TinyGpt;

/// <summary>Draws the loss curve as a PNG file with ScottPlot.</summary>
public static class LossChart
{
    /// <summary>Writes training and validation loss per step, with the bigram baseline and the uniform guess ln V as lines.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="curve">The estimates.</param>
    /// <param name="bigramLoss">The bigram baseline's validation loss, nats per token.</param>
    /// <param name="vocabularySize">V.</param>
    /// <param name="title">The chart's title.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void Write(string path, IReadOnlyList<EvalPoint> curve, double bigramLoss, int vocabularySize, string title)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(curve);
        var plot = new Plot();
        EvalPoint[] trained = curve.Where(p => !double.IsNaN(p.TrainLoss)).ToArray();
        var train = plot.Add.Scatter(trained.Select(p => (double)p.Step).ToArray(), trained.Select(p => p.TrainLoss).ToArray());
        train.LegendText = "train loss (mean since the previous point)";
        train.Color = Colors.SteelBlue;
        train.LineWidth = 2;
        var validation = plot.Add.Scatter(curve.Select(p => (double)p.Step).ToArray(), curve.Select(p => p.ValidationLoss).ToArray());
        validation.LegendText = "validation loss";
        validation.Color = Colors.DarkRed;
        validation.LineWidth = 2;
        var bigram = plot.Add.HorizontalLine(bigramLoss);
        bigram.LegendText = "bigram baseline (validation)";
        bigram.Color = Colors.Gray;
        bigram.LinePattern = LinePattern.Dashed;
        var uniform = plot.Add.HorizontalLine(Math.Log(vocabularySize));
        uniform.LegendText = "uniform guess, ln V";
        uniform.Color = Colors.LightGray;
        uniform.LinePattern = LinePattern.Dotted;
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = "step";
        plot.Axes.Left.Label.Text = "loss (nats per token)";
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 900, 550);
    }
}
