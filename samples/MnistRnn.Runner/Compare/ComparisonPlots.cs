using MnistRnn.Models;
using ScottPlot;

namespace MnistRnn.Runner.Compare;

/// <summary>The PNG figures of <c>compare</c>: every run on shared axes, one figure per question.</summary>
internal static class ComparisonPlots
{
    private const int Width = 1000, Height = 600;

    /// <summary>Steps averaged for each point of the loss and accuracy curves: single batches are too noisy to read.</summary>
    public const int SmoothingWindow = 50;

    /// <summary>File names this writes, in the order the report shows them.</summary>
    public static readonly IReadOnlyList<string> Files = ["loss.png", "accuracy.png", "grad-norm.png", "gradient-flow.png", "hidden-state.png"];

    /// <summary>Writes every figure into <paramref name="folder"/>.</summary>
    public static void Write(string folder, IReadOnlyList<RunOutcome> runs)
    {
        Save(Curves(runs, "Training loss", $"cross-entropy loss (mean of the last {SmoothingWindow} batches)",
            r => TrailingMean(r.Steps.Select(s => s.Loss).ToArray())), folder, Files[0]);
        Save(Curves(runs, "Training accuracy", $"batch accuracy (mean of the last {SmoothingWindow} batches)",
            r => TrailingMean(r.Steps.Select(s => s.Accuracy).ToArray())), folder, Files[1]);
        var gradNorm = Curves(runs, "Gradient norm before clipping", $"largest norm in the last {SmoothingWindow} steps (log scale)",
            r => TrailingMax(r.Steps.Select(s => s.GradNorm).ToArray()), logScale: true);
        Save(gradNorm, folder, Files[2]);
        Save(GradientFlowPlot(runs), folder, Files[3]);
        Save(HiddenStatePlot(runs), folder, Files[4]);
        if (runs.Any(r => r.Metrics.Validations.Count > 0)) Save(ValidationPlot(runs), folder, ValidationFile);
    }

    /// <summary>The validation figure, written only when the runs validated.</summary>
    public const string ValidationFile = "validation.png";

    // The curve early stopping and the best weights are read from, with each run's best validation marked and, where a
    // run stopped early, the step it stopped at.
    private static Plot ValidationPlot(IReadOnlyList<RunOutcome> runs)
    {
        // The legend says what the circles and dashed lines are; a long title would be cut off at this width.
        var plot = NewPlot("Validation loss", "training step", "cross-entropy loss on the held-out images");
        foreach (var run in runs.Where(r => r.Metrics.Validations.Count > 0))
        {
            var validations = run.Metrics.Validations;
            AddLine(plot, validations.Select(v => (double)v.Step).ToArray(), validations.Select(v => v.Loss).ToArray(), run.Spec.Label, logScale: false);
            if (run.Summary.BestValidation is { } best && double.IsFinite(best.Loss))
            {
                var marker = plot.Add.Marker(best.Step, best.Loss, MarkerShape.OpenCircle, size: 14);
                marker.LegendText = $"{run.Spec.Label}: best, step {best.Step}";
            }
            if (run.Summary.StoppedEarlyAfterStep is int stoppedAfter)
            {
                var line = plot.Add.VerticalLine(stoppedAfter, width: 1.5f, pattern: LinePattern.Dashed);
                line.LegendText = $"{run.Spec.Label}: stopped after step {stoppedAfter}";
            }
        }
        return plot;
    }

    private static Plot Curves(IReadOnlyList<RunOutcome> runs, string title, string yLabel, Func<RunOutcome, double[]> values, bool logScale = false)
    {
        var plot = NewPlot(title, "training step", yLabel);
        foreach (var run in runs)
        {
            double[] ys = values(run);
            AddLine(plot, run.Steps.Select(s => (double)s.Step).ToArray(), ys, run.Spec.Label, logScale);
        }
        if (logScale) UseLogTicks(plot);
        return plot;
    }

    private static Plot GradientFlowPlot(IReadOnlyList<RunOutcome> runs)
    {
        // An exactly zero gradient (underflow in float32 through a saturated tanh) has no logarithm.
        var plot = NewPlot("Gradient reaching each time step, after training (zeros are not drawn)",
            "time step t (input row read at t)", "mean ||dLoss/dh_t|| on a probe batch (log scale)");
        foreach (var run in runs)
        {
            if (run.Metrics.GradientFlow.Count == 0) continue;
            var norms = run.Metrics.GradientFlow[^1].Norms.ToArray();
            AddLine(plot, Enumerable.Range(1, norms.Length).Select(t => (double)t).ToArray(), norms, run.Spec.Label, logScale: true);
        }
        UseLogTicks(plot);
        return plot;
    }

    // Tanh-bounded cells only: the RNN's states pile up at ±1 while the LSTM's spread out, which is the
    // seed experiment's printout as a picture. IRNN states are unbounded and would squash the axis.
    private static Plot HiddenStatePlot(IReadOnlyList<RunOutcome> runs)
    {
        const int bins = 40;
        var plot = NewPlot($"Final hidden state on {MetricsFolder.HiddenStateSamples:N0} test images",
            "value of a hidden unit after the last step", "fraction of values");
        foreach (var run in runs.Where(r => r.Spec.Model is CellKind.Rnn or CellKind.Lstm))
        {
            var counts = new double[bins];
            foreach (float v in run.Metrics.FinalHiddenState)
                counts[Math.Clamp((int)((v + 1) / 2 * bins), 0, bins - 1)]++;
            // Each bin drawn as a flat step from its left edge to its right edge.
            var xs = new List<double>();
            var ys = new List<double>();
            for (int b = 0; b < bins; b++)
            {
                double fraction = counts[b] / run.Metrics.FinalHiddenState.Length;
                xs.AddRange([-1 + 2.0 * b / bins, -1 + 2.0 * (b + 1) / bins]);
                ys.AddRange([fraction, fraction]);
            }
            AddLine(plot, [.. xs], [.. ys], run.Spec.Label, logScale: false);
        }
        plot.Axes.SetLimitsX(-1.05, 1.05);
        return plot;
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right); // beside the axes, where it cannot hide a curve
        return plot;
    }

    private static void AddLine(Plot plot, double[] xs, double[] ys, string label, bool logScale)
    {
        // Non-finite points (a diverged run) and, on a log axis, zeros cannot be drawn: they are left out.
        var points = xs.Zip(ys)
            .Where(p => double.IsFinite(p.Second) && (!logScale || p.Second > 0))
            .Select(p => (p.First, Y: logScale ? Math.Log10(p.Second) : p.Second))
            .ToArray();
        if (points.Length == 0) return;
        var line = plot.Add.ScatterLine(points.Select(p => p.First).ToArray(), points.Select(p => p.Y).ToArray());
        line.LegendText = label;
        line.LineWidth = 2;
    }

    // Values are plotted as log10; the ticks show the original numbers at each power of ten.
    private static void UseLogTicks(Plot plot) =>
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => PowerOfTen(y),
        };

    private static string PowerOfTen(double exponent)
    {
        double value = Math.Pow(10, exponent);
        return value.ToString(value is >= 1e-3 and < 1e6 ? "0.###" : "0E0", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double[] TrailingMean(double[] values)
    {
        var means = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= SmoothingWindow) sum -= values[i - SmoothingWindow];
            means[i] = sum / Math.Min(i + 1, SmoothingWindow);
        }
        return means;
    }

    private static double[] TrailingMax(double[] values) =>
        values.Select((_, i) => values.Skip(Math.Max(0, i - SmoothingWindow + 1)).Take(Math.Min(i + 1, SmoothingWindow)).Max()).ToArray();

    private static void Save(Plot plot, string folder, string file) => plot.SavePng(Path.Combine(folder, file), Width, Height);
}
