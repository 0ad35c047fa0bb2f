using ScottPlot;

namespace MnistRnn.Runner.Report;

/// <summary>The spread of test accuracy: one column per configuration, every finished trial a point, the median a bar.</summary>
internal static class SpreadPlot
{
    private const int Height = 600;

    // Points of one column are spread sideways in plan order, so equal accuracies do not hide each other.
    private const double ColumnWidth = 0.5;

    /// <summary>Writes the figure as a PNG to <paramref name="path"/>.</summary>
    public static void Save(SweepReport report, string path)
    {
        var plot = new Plot();
        plot.Title("Test accuracy of every trial (bar: median)");
        plot.Axes.Left.Label.Text = "test accuracy";
        var palette = new ScottPlot.Palettes.Category10();
        for (int column = 0; column < report.Rows.Count; column++)
        {
            var row = report.Rows[column];
            var accuracies = row.Trials.Where(t => t.TestAccuracy is not null).Select(t => t.TestAccuracy!.Value).ToArray();
            if (accuracies.Length == 0) continue;
            double[] xs = accuracies.Select((_, i) => column + (accuracies.Length == 1 ? 0 : ColumnWidth * (i / (accuracies.Length - 1.0) - 0.5))).ToArray();
            var points = plot.Add.ScatterPoints(xs, accuracies);
            points.Color = palette.GetColor(column);
            points.MarkerSize = 9;
            double median = row.TestAccuracy!.Median;
            var bar = plot.Add.Line(column - ColumnWidth * 0.7, median, column + ColumnWidth * 0.7, median);
            bar.LineWidth = 3;
            bar.Color = Colors.Black;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, report.Rows.Count).Select(i => (double)i).ToArray(), report.Rows.Select(r => r.Configuration).ToArray());
        bool slanted = report.Rows.Count > 4;
        plot.Axes.Bottom.TickLabelStyle.Rotation = slanted ? -30 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = slanted ? Alignment.MiddleRight : Alignment.UpperCenter;
        // Slanted labels need room below the axis that ScottPlot does not measure: half their length, about 7 pixels a letter.
        if (slanted) plot.Axes.Bottom.MinimumSize = 20 + 3.5f * report.Rows.Max(r => r.Configuration.Length);
        plot.Axes.SetLimitsX(-0.75, report.Rows.Count - 0.25);
        int width = Math.Clamp(200 + 150 * report.Rows.Count, 600, 2400);
        plot.SavePng(path, width, Height);
    }
}
