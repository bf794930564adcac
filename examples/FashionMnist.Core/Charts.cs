using ScottPlot;

namespace FashionMnist;

/// <summary>Draws the run's charts as PNG files with ScottPlot.</summary>
public static class Charts
{
    /// <summary>Writes the training and test loss (left axis) and accuracy (right axis) per epoch.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="epochs">The per-epoch results.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void WriteCurves(string path, IReadOnlyList<EpochResult> epochs)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(epochs);
        var plot = new Plot();
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        AddLine(plot, x, epochs.Select(e => e.TrainLoss), "train loss", Colors.SteelBlue, right: false);
        AddLine(plot, x, epochs.Select(e => e.TestLoss), "test loss", Colors.Navy, right: false);
        AddLine(plot, x, epochs.Select(e => 100 * e.TrainAccuracy), "train accuracy %", Colors.Orange, right: true);
        AddLine(plot, x, epochs.Select(e => 100 * e.TestAccuracy), "test accuracy %", Colors.DarkRed, right: true);
        plot.Title("Fashion-MNIST CNN: loss and accuracy per epoch");
        plot.Axes.Bottom.Label.Text = "epoch";
        // Epochs are whole numbers: ticks at every epoch, or every k-th so that at most about 12 are drawn.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(EpochTickInterval(x.Length));
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, 900, 550);
    }

    /// <summary>Writes the confusion matrix as a heat map with the count in each cell.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="confusion">The matrix.</param>
    /// <param name="names">Class names, by label.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static void WriteConfusion(string path, ConfusionMatrix confusion, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(names);
        int n = confusion.Classes;
        // One rectangle per cell (true class down, prediction across), shaded by log count so small confusions show.
        var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        double top = Math.Log10(1 + Math.Max(1, MaxCell(confusion)));
        for (int actual = 0; actual < n; actual++)
            for (int predicted = 0; predicted < n; predicted++)
            {
                long count = confusion[actual, predicted];
                double shade = Math.Log10(1 + count) / top;
                var cell = plot.Add.Rectangle(predicted - 0.5, predicted + 0.5, actual + 0.5, actual - 0.5);
                cell.FillStyle.Color = colormap.GetColor(shade);
                cell.LineStyle.Width = 0;
                var text = plot.Add.Text(count.ToString(System.Globalization.CultureInfo.InvariantCulture), predicted, actual);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 13;
                text.LabelFontColor = shade > 0.6 ? Colors.Black : Colors.White;
            }
        double[] ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        string[] labels = Enumerable.Range(0, n).Select(i => i < names.Count ? names[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, labels);
        plot.Axes.Left.SetTicks(ticks, labels);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        // The layout sizes the axis for unrotated labels; reserve room for the longest name drawn at 45 degrees,
        // below the matrix and past its right edge.
        plot.Axes.Bottom.MinimumSize = 100;
        plot.Axes.Right.MinimumSize = 50;
        plot.Axes.SetLimits(-0.5, n - 0.5, n - 0.5, -0.5);
        plot.Axes.Bottom.Label.Text = "predicted (cell colour: log scale of the count, so that rare confusions show)";
        plot.Axes.Left.Label.Text = "true class";
        plot.Title($"Confusion matrix on the test set ({confusion.Accuracy():P2} correct)");
        plot.SavePng(path, 950, 950);
    }

    /// <summary>The spacing of the epoch axis' ticks: 1, or the smallest whole step that keeps them to about 12.</summary>
    /// <param name="epochs">The number of epochs drawn.</param>
    /// <returns>Epochs between ticks, at least 1.</returns>
    public static int EpochTickInterval(int epochs) => Math.Max(1, (epochs + 11) / 12);

    private static long MaxCell(ConfusionMatrix confusion)
    {
        long max = 0;
        for (int a = 0; a < confusion.Classes; a++)
            for (int p = 0; p < confusion.Classes; p++)
                max = Math.Max(max, confusion[a, p]);
        return max;
    }

    private static void AddLine(Plot plot, double[] x, IEnumerable<double> y, string label, Color color, bool right)
    {
        var line = plot.Add.Scatter(x, y.ToArray());
        line.LegendText = label;
        line.Color = color;
        line.LineWidth = 2;
        if (right)
            line.Axes.YAxis = plot.Axes.Right;
    }
}
