using MnistRnn.Diagnostics;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Diagnostics;

[Category("Unit")]
public sealed class GradientFlowTests
{
    private const int Steps = 20;

    private static (Tensor Input, Tensor Labels) Probe(int features)
    {
        var input = rand(32, Steps, features);
        var labels = randint(0, 10, [32], ScalarType.Int64);
        return (input, labels);
    }

    [Test]
    public void Gives_one_norm_per_time_step()
    {
        using var model = new RecurrentClassifier(CellKind.Lstm, inputSize: 3, hiddenSize: 8, classes: 10);
        using var scope = NewDisposeScope();
        var (input, labels) = Probe(3);

        var norms = GradientFlow.Measure(model, input, labels);

        Assert.That(norms, Has.Length.EqualTo(Steps));
        Assert.That(norms, Is.All.GreaterThan(0));
    }

    [Test]
    public void Through_an_identity_irnn_the_gradient_does_not_vanish()
    {
        using var model = new RecurrentClassifier(CellKind.Irnn, inputSize: 3, hiddenSize: 16, classes: 10);
        using var scope = NewDisposeScope();
        var (input, labels) = Probe(3);

        var norms = GradientFlow.Measure(model, input, labels);

        // Identity recurrence with active units passes dLoss/dh_t back unchanged.
        Assert.That(norms[0] / norms[^1], Is.InRange(0.5, 2.0), string.Join(", ", norms));
    }

    [Test]
    public void Through_a_saturated_tanh_rnn_the_gradient_vanishes_toward_early_steps()
    {
        using var model = new RecurrentClassifier(CellKind.Rnn, inputSize: 3, hiddenSize: 16, classes: 10);
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            model.RecurrentParameter("weight_hh_l0").fill_(1);
            model.RecurrentParameter("weight_ih_l0").fill_(1);
        }
        var (input, labels) = Probe(3);

        var norms = GradientFlow.Measure(model, input, labels);

        Assert.That(norms[0] / norms[^1], Is.LessThan(1e-6), string.Join(", ", norms));
    }

    [Test]
    public void Leaves_the_parameter_gradients_untouched()
    {
        using var model = new RecurrentClassifier(CellKind.Gru, inputSize: 3, hiddenSize: 8, classes: 10);
        using var scope = NewDisposeScope();
        var (input, labels) = Probe(3);

        GradientFlow.Measure(model, input, labels);

        Assert.That(model.parameters().Select(p => p.grad), Is.All.Null);
    }
}
