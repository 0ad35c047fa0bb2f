using MnistRnn.Diagnostics;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Diagnostics;

[Category("Unit")]
public sealed class SaturationTests
{
    private static void SetRecurrent(RecurrentClassifier model, double inputWeight, double hiddenWeight, double bias)
    {
        using var noGrad = no_grad();
        model.RecurrentParameter("weight_ih_l0").fill_(inputWeight);
        model.RecurrentParameter("weight_hh_l0").fill_(hiddenWeight);
        model.RecurrentParameter("bias_ih_l0").fill_(bias);
        model.RecurrentParameter("bias_hh_l0").fill_(0);
    }

    private static double Measure(RecurrentClassifier model, Tensor input)
    {
        var (_, outputs) = model.ForwardWithOutputs(input);
        return Saturation.Measure(model, input, outputs);
    }

    [Test]
    public void A_tanh_rnn_driven_hard_is_saturated_almost_everywhere()
    {
        using var model = new RecurrentClassifier(CellKind.Rnn, inputSize: 4, hiddenSize: 8, classes: 10);
        using var scope = NewDisposeScope();
        SetRecurrent(model, inputWeight: 5, hiddenWeight: 5, bias: 1);

        Assert.That(Measure(model, rand(16, 10, 4) + 0.5), Is.GreaterThan(0.99));
    }

    [Test]
    public void A_tanh_rnn_with_small_weights_is_not_saturated()
    {
        using var model = new RecurrentClassifier(CellKind.Rnn, inputSize: 4, hiddenSize: 8, classes: 10);
        using var scope = NewDisposeScope();
        SetRecurrent(model, inputWeight: 0.01, hiddenWeight: 0.01, bias: 0);

        Assert.That(Measure(model, rand(16, 10, 4)), Is.Zero);
    }

    [Test]
    public void An_irnn_whose_units_are_all_negative_before_relu_is_fully_flat()
    {
        using var model = new RecurrentClassifier(CellKind.Irnn, inputSize: 4, hiddenSize: 8, classes: 10);
        using var scope = NewDisposeScope();
        SetRecurrent(model, inputWeight: 0, hiddenWeight: 0, bias: -1);

        Assert.That(Measure(model, rand(16, 10, 4)), Is.EqualTo(1.0));
    }

    [TestCase(CellKind.Lstm)]
    [TestCase(CellKind.Gru)]
    public void Gates_pinned_by_large_biases_count_as_saturated_and_gates_at_rest_do_not(CellKind kind)
    {
        using var model = new RecurrentClassifier(kind, inputSize: 4, hiddenSize: 8, classes: 10);
        using var scope = NewDisposeScope();
        var input = rand(16, 10, 4);

        SetRecurrent(model, inputWeight: 0, hiddenWeight: 0, bias: 20);
        double pinned = Measure(model, input);
        // With zero weights and biases every sigmoid gate sits at 0.5 and every tanh at 0: nothing is flat.
        SetRecurrent(model, inputWeight: 0, hiddenWeight: 0, bias: 0);
        double atRest = Measure(model, input);

        Assert.That(pinned, Is.EqualTo(1.0));
        Assert.That(atRest, Is.Zero);
    }

    [Test]
    public void Gate_saturation_recomputes_what_the_lstm_computed()
    {
        // Half the gates pinned: biases of +20 on the first half of every gate's units, 0 on the rest,
        // so only a recomputation that splits the gates the way the layer does gets exactly one half.
        using var model = new RecurrentClassifier(CellKind.Lstm, inputSize: 4, hiddenSize: 8, classes: 10);
        using var scope = NewDisposeScope();
        SetRecurrent(model, inputWeight: 0, hiddenWeight: 0, bias: 0);
        using (no_grad())
            model.RecurrentParameter("bias_ih_l0").view(4, 8).narrow(1, 0, 4).fill_(20);

        Assert.That(Measure(model, rand(16, 10, 4)), Is.EqualTo(0.5));
    }
}
