using MnistRnn.Diagnostics;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Tests.Diagnostics;

[Category("Unit")]
public sealed class StallDetectorTests
{
    private static StepMetrics Step(int step, double loss, double accuracy = 0.1, double gradNorm = 1, double? saturation = null, CellKind cell = CellKind.Rnn) =>
        new(step, 0, loss, accuracy, cell, gradNorm, false, TimeSpan.Zero,
            saturation is double s ? new StateStatistics(0, 0.1, 0, 0.5, s) : null);

    private static IReadOnlyList<Stall> Feed(StallDetector detector, IEnumerable<StepMetrics> steps) =>
        steps.Select(detector.Observe).OfType<Stall>().ToList();

    [Test]
    public void A_loss_at_chance_for_a_whole_window_is_reported_once()
    {
        var detector = new StallDetector(window: 50, classes: 10);

        var stalls = Feed(detector, Enumerable.Range(1, 200).Select(i => Step(i, loss: 2.31)));

        Assert.That(stalls, Has.Count.EqualTo(1));
        Assert.That(stalls[0].Step, Is.EqualTo(50));
        Assert.That(stalls[0].ChanceLoss, Is.EqualTo(Math.Log(10)).Within(1e-12));
        Assert.That(stalls[0].Cause, Is.EqualTo(StallCause.Unknown));
    }

    [Test]
    public void A_learning_run_is_never_reported()
    {
        var detector = new StallDetector(window: 50, classes: 10);

        var stalls = Feed(detector, Enumerable.Range(1, 500).Select(i => Step(i, loss: 2.3 * Math.Exp(-i / 50.0), accuracy: 0.9)));

        Assert.That(stalls, Is.Empty);
    }

    [Test]
    public void Nothing_is_reported_before_a_full_window()
    {
        var detector = new StallDetector(window: 50, classes: 10);

        Assert.That(Feed(detector, Enumerable.Range(1, 49).Select(i => Step(i, loss: 2.4))), Is.Empty);
    }

    [Test]
    public void Accuracy_near_chance_counts_even_when_the_loss_has_moved()
    {
        var detector = new StallDetector(window: 20, classes: 10);

        var stalls = Feed(detector, Enumerable.Range(1, 20).Select(i => Step(i, loss: 2.0, accuracy: 0.12)));

        Assert.That(stalls, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_saturated_tanh_rnn_is_blamed_on_saturation_with_the_usual_fixes()
    {
        var detector = new StallDetector(window: 20, classes: 10);

        var stall = Feed(detector, Enumerable.Range(1, 20).Select(i => Step(i, loss: 2.31, saturation: i % 10 == 0 ? 0.9 : null))).Single();

        Assert.That(stall.Cause, Is.EqualTo(StallCause.Saturation));
        Assert.That(stall.Saturation, Is.EqualTo(0.9));
        Assert.That(stall.Advice, Does.Contain("90%").And.Contain("an LSTM, GRU or IRNN cell (TrainingOptions.Cell)"));
    }

    [Test]
    public void A_saturated_lstm_gate_is_not_blamed()
    {
        var detector = new StallDetector(window: 20, classes: 10);

        var stall = Feed(detector, Enumerable.Range(1, 20).Select(i => Step(i, loss: 2.31, saturation: 0.9, cell: CellKind.Lstm))).Single();

        Assert.That(stall.Cause, Is.EqualTo(StallCause.Unknown));
    }

    [Test]
    public void A_gradient_spike_is_blamed_on_exploding_gradients()
    {
        var detector = new StallDetector(window: 20, classes: 10);

        var stall = Feed(detector, Enumerable.Range(1, 20).Select(i => Step(i, loss: 2.31, gradNorm: i == 7 ? 500 : 1.5))).Single();

        Assert.That(stall.Cause, Is.EqualTo(StallCause.ExplodingGradient));
        Assert.That(stall.MaxGradNorm, Is.EqualTo(500));
        Assert.That(stall.Advice, Does.Contain("TrainingOptions.ClipNorm"));
    }

    [Test]
    public void A_diverged_run_with_nan_loss_counts_as_stalled_from_exploding_gradients()
    {
        var detector = new StallDetector(window: 10, classes: 10);

        var stall = Feed(detector, Enumerable.Range(1, 10).Select(i => Step(i, loss: double.NaN, gradNorm: double.NaN))).Single();

        Assert.That(stall.Cause, Is.EqualTo(StallCause.ExplodingGradient));
    }
}
