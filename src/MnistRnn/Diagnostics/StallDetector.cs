using MnistRnn.Checkpoints;
using MnistRnn.Models;
using static TorchSharp.torch;
using MnistRnn.Training;

namespace MnistRnn.Diagnostics;

/// <summary>What a stalled run looks like and its most likely cause.</summary>
public enum StallCause
{
    /// <summary>Most hidden units sit where the nonlinearity is flat, so gradients vanish.</summary>
    Saturation,

    /// <summary>The gradient norm has spiked far above its typical size.</summary>
    ExplodingGradient,

    /// <summary>Neither was seen.</summary>
    Unknown,
}

/// <summary>A run whose loss stayed near chance, with the evidence.</summary>
/// <param name="Step">Step at which the stall was recognised.</param>
/// <param name="Window">Steps the averages cover.</param>
/// <param name="MeanLoss">Mean batch loss over the window.</param>
/// <param name="MeanAccuracy">Mean batch accuracy over the window.</param>
/// <param name="ChanceLoss">ln(classes): the loss of a uniform guess.</param>
/// <param name="Cause">The most likely cause.</param>
/// <param name="Saturation">The latest saturation measured, if any.</param>
/// <param name="MaxGradNorm">Largest gradient norm in the window.</param>
/// <param name="MedianGradNorm">Median gradient norm in the window.</param>
public sealed record Stall(int Step, int Window, double MeanLoss, double MeanAccuracy, double ChanceLoss, StallCause Cause,
    double? Saturation, double MaxGradNorm, double MedianGradNorm)
{
    /// <summary>The likely cause and the usual fixes, in one sentence a user can act on, naming settings as <c>TrainingOptions.NAME</c>.</summary>
    public string Advice => AdviceNaming(Trainer.OptionsPropertyName);

    /// <summary>The advice of <see cref="Advice"/>, each setting named by <paramref name="settingName"/> (a command line names its flags).</summary>
    public string AdviceNaming(Func<string, string> settingName)
    {
        string model = settingName(nameof(TrainingOptions.Cell)), rate = settingName(nameof(TrainingOptions.LearningRate));
        string clip = settingName(nameof(TrainingOptions.ClipNorm));
        return Cause switch
        {
            StallCause.Saturation =>
                $"likely cause: saturation ({Saturation * 100:F0}% of the nonlinearities are flat, so gradients vanish through time); " +
                $"usual fixes: an LSTM, GRU or IRNN cell ({model}), a lower {rate} or tighter clipping ({clip} 1)",
            StallCause.ExplodingGradient =>
                $"likely cause: exploding gradients (norm up to {MaxGradNorm:G3}, median {MedianGradNorm:G3}); " +
                $"usual fixes: clipping by norm ({clip} 1) and a lower {rate}",
            _ => $"no saturation or exploding gradient was seen; usual fixes: a lower {rate} or a gated cell ({model})",
        };
    }
}

/// <summary>
/// Watches training for a stretch of steps whose mean loss stays within
/// <see cref="LossMargin"/> of chance (ln classes, 2.303 for ten) or whose mean accuracy stays below
/// <see cref="AccuracyFactor"/> times chance, and reports it once with its likely cause.
/// </summary>
public sealed class StallDetector
{
    /// <summary>A window's mean loss this close to ln(classes), or above it, counts as stalled.</summary>
    public const double LossMargin = 0.1;

    /// <summary>A window's mean accuracy below this multiple of 1/classes counts as stalled.</summary>
    public const double AccuracyFactor = 1.5;

    /// <summary>Saturation at or above this names saturation as the cause.</summary>
    public const double SaturatedFraction = 0.5;

    /// <summary>A maximum gradient norm this many times the window's median names an explosion as the cause.</summary>
    public const double ExplosionFactor = 10;

    private readonly int _window;
    private readonly double _chanceLoss;
    private readonly double _chanceAccuracy;
    private readonly Queue<(double Loss, double Accuracy, double GradNorm)> _recent = new();
    private double _lossSum, _accuracySum;
    private double? _latestSaturation;
    private bool _reported;

    /// <summary>Watches a run over <paramref name="classes"/> classes in windows of <paramref name="window"/> steps.</summary>
    public StallDetector(int window, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        _window = window;
        _chanceLoss = Math.Log(classes);
        _chanceAccuracy = 1.0 / classes;
    }

    /// <summary>Adds one step; returns the stall the first time one is recognised, otherwise null.</summary>
    public Stall? Observe(StepMetrics metrics)
    {
        if (metrics.State is { } state) _latestSaturation = state.Saturation;
        _recent.Enqueue((metrics.Loss, metrics.Accuracy, metrics.GradNorm));
        _lossSum += metrics.Loss;
        _accuracySum += metrics.Accuracy;
        if (_recent.Count > _window)
        {
            var dropped = _recent.Dequeue();
            _lossSum -= dropped.Loss;
            _accuracySum -= dropped.Accuracy;
        }
        if (_reported || _recent.Count < _window) return null;
        double meanLoss = _lossSum / _window, meanAccuracy = _accuracySum / _window;
        // NaN losses fail both comparisons, so a diverged run counts as stalled too.
        bool stalled = !(meanLoss < _chanceLoss - LossMargin) || meanAccuracy < AccuracyFactor * _chanceAccuracy;
        if (!stalled) return null;
        _reported = true;
        var norms = _recent.Select(m => m.GradNorm).Order().ToArray();
        double max = norms[^1], median = norms[norms.Length / 2];
        // Gate saturation of an LSTM or GRU is how they hold memory, not a sign of failure (see Saturation).
        bool saturated = _latestSaturation >= SaturatedFraction && metrics.Cell is CellKind.Rnn or CellKind.Irnn;
        var cause = !double.IsFinite(max) ? StallCause.ExplodingGradient
            : saturated ? StallCause.Saturation
            : max >= ExplosionFactor * median ? StallCause.ExplodingGradient
            : StallCause.Unknown;
        return new Stall(metrics.Step, _window, meanLoss, meanAccuracy, _chanceLoss, cause, _latestSaturation, max, median);
    }

    // The window, the sums and the latest saturation as the bits of their doubles (exact, NaN included) in int64 tensors.
    internal void SaveState(StateSection section)
    {
        section.Save("window", tensor(_recent.SelectMany(m => new[] { m.Loss, m.Accuracy, m.GradNorm }).Select(BitConverter.DoubleToInt64Bits).ToArray(),
            [_recent.Count, 3]));
        section.Save("sums", tensor(new[] { _lossSum, _accuracySum, _latestSaturation ?? double.NaN }.Select(BitConverter.DoubleToInt64Bits).ToArray()));
        section.SaveValue("has_saturation", _latestSaturation.HasValue);
        section.SaveValue("reported", _reported);
    }

    /// <summary>
    /// What is wrong with a saved window, read from its bytes before anything is allocated: more rows than the
    /// <paramref name="window"/> of its run or the <paramref name="step"/> it was saved at, figures out of range, or sums
    /// that are not finite although every figure in the window is.
    /// </summary>
    internal static string? SectionProblem(StateSection section, int step, int window)
    {
        if (!section.StoredTensors.TryGetValue("window", out var rows) || rows.Dtype != ScalarType.Int64 || rows.Shape is not [var count, 3]
            || !section.StoredTensors.TryGetValue("sums", out var sums) || sums.Dtype != ScalarType.Int64 || sums.Shape is not [3])
            return "the window is not steps of three figures each, with three sums";
        if (count > Math.Min(step, window)) return $"a window of {count} steps saved after step {step} by a run watching {window}";
        double[] figures = [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(rows.Bytes.Span).ToArray().Select(BitConverter.Int64BitsToDouble)];
        double[] totals = [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(sums.Bytes.Span).ToArray().Select(BitConverter.Int64BitsToDouble)];
        for (int i = 0; i < figures.Length; i += 3)
            if (figures[i] < 0 || !(figures[i + 1] is >= 0 and <= 1 || double.IsNaN(figures[i + 1])) || figures[i + 2] < 0)
                return "a step with a negative loss or gradient norm, or an accuracy outside 0 to 1";
        bool finiteWindow = figures.All(double.IsFinite);
        if (finiteWindow && !(double.IsFinite(totals[0]) && double.IsFinite(totals[1])))
            return "sums that are not finite numbers, for a window of finite figures";
        return null;
    }

    /// <exception cref="CheckpointException">The section's window is not steps of three figures each.</exception>
    internal void LoadState(StateSection section)
    {
        long[] shape = section.ShapeOf("window");
        if (shape.Length != 2 || shape[1] != 3 || shape[0] > int.MaxValue) throw section.Problem("the window is not steps of three figures each");
        using var window = section.Load("window", shape, ScalarType.Int64);
        using var sums = section.Load("sums", [3], ScalarType.Int64);
        double[] figures = window.data<long>().Select(BitConverter.Int64BitsToDouble).ToArray();
        double[] totals = sums.data<long>().Select(BitConverter.Int64BitsToDouble).ToArray();
        _recent.Clear();
        for (int i = 0; i < figures.Length; i += 3) _recent.Enqueue((figures[i], figures[i + 1], figures[i + 2]));
        (_lossSum, _accuracySum) = (totals[0], totals[1]);
        _latestSaturation = section.LoadValue<bool>("has_saturation") ? totals[2] : null;
        _reported = section.LoadValue<bool>("reported");
        // A resumed run may watch a shorter window than its checkpoint's run did.
        while (_recent.Count > _window)
        {
            var dropped = _recent.Dequeue();
            _lossSum -= dropped.Loss;
            _accuracySum -= dropped.Accuracy;
        }
    }
}
