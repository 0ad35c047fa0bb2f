using MnistRnn.Training;
using ScottPlot;

namespace MnistRnn.Runner.Output;

/// <summary>The confusion matrix as a PNG: a heat map of row-normalised counts, each cell labelled with its count.</summary>
internal static class ConfusionPlot
{
    public static void Save(ConfusionMatrix confusion, string path, string title)
    {
        int n = confusion.Classes;
        // Row-normalised, so a class's errors show whatever its support; the labels give the counts.
        var fractions = new double[n, n];
        for (int actual = 0; actual < n; actual++)
        {
            long support = Math.Max(1, confusion.Support(actual));
            for (int predicted = 0; predicted < n; predicted++) fractions[actual, predicted] = confusion[actual, predicted] / (double)support;
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(fractions);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap).Label = "fraction of the true class";
        for (int actual = 0; actual < n; actual++)
        {
            for (int predicted = 0; predicted < n; predicted++)
            {
                long count = confusion[actual, predicted];
                if (count == 0) continue;
                // Heat map row r is drawn at y = n - 1 - r, so true class 0 is the top row.
                var label = plot.Add.Text(count.ToString(System.Globalization.CultureInfo.InvariantCulture), predicted, n - 1 - actual);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = fractions[actual, predicted] > 0.5 ? Colors.Black : Colors.White;
                label.LabelFontSize = 11;
            }
        }
        var ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, ticks.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.SetTicks(ticks, ticks.Select(t => (n - 1 - t).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Title(title, size: 13);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.SavePng(path, 800, 700);
    }
}
