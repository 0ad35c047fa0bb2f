using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Models;

[Category("Unit")]
public sealed class RecurrentClassifierTests
{
    [TestCase(CellKind.Rnn)]
    [TestCase(CellKind.Lstm)]
    [TestCase(CellKind.Gru)]
    [TestCase(CellKind.Irnn)]
    public void Maps_a_batch_of_sequences_to_class_logits(CellKind kind)
    {
        using var model = new RecurrentClassifier(kind, inputSize: 28, hiddenSize: 16, classes: 10);
        using var scope = NewDisposeScope();

        var (logits, outputs) = model.ForwardWithOutputs(rand(5, 28, 28));

        Assert.That(logits.shape, Is.EqualTo(new long[] { 5, 10 }));
        Assert.That(outputs.shape, Is.EqualTo(new long[] { 5, 28, 16 }));
    }

    [Test]
    public void Counts_its_weights_without_being_built([Values] CellKind kind)
    {
        // Checkpoint validation relies on the count to refuse a lying header before allocating a model.
        using var model = new RecurrentClassifier(kind, inputSize: 7, hiddenSize: 12, classes: 5);

        Assert.That(RecurrentClassifier.ParameterCount(kind, 7, 12, 5), Is.EqualTo(model.parameters().Sum(p => p.numel())));
    }

    [TestCase(CellKind.Rnn, 2)]
    [TestCase(CellKind.Lstm, 2)]
    [TestCase(CellKind.Gru, 2)]
    [TestCase(CellKind.Irnn, 2)]
    public void Exposes_the_recurrent_weight_matrices_and_names_its_parts(CellKind kind, int weightCount)
    {
        using var model = new RecurrentClassifier(kind, inputSize: 28, hiddenSize: 8, classes: 10);
        int gates = kind switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };

        Assert.That(model.RecurrentWeights, Has.Count.EqualTo(weightCount));
        Assert.That(model.RecurrentWeights[0].shape, Is.EqualTo(new long[] { gates * 8, 28 }));
        Assert.That(model.named_parameters().Select(p => p.name),
            Is.SupersetOf(new[] { "recurrent.weight_ih_l0", "recurrent.weight_hh_l0", "classifier.weight", "classifier.bias" }));
    }

    [Test]
    public void The_outputs_cover_every_step_and_the_last_one_reads_the_whole_sequence()
    {
        using var model = new RecurrentClassifier(CellKind.Gru, inputSize: 3, hiddenSize: 4, classes: 10);
        using var scope = NewDisposeScope();
        var input = rand(2, 6, 3);

        var (_, full) = model.ForwardWithOutputs(input);
        var changed = input.clone();
        changed[.., 5, ..] = zeros(2, 3);
        var (_, ofChanged) = model.ForwardWithOutputs(changed);

        // Changing the last step changes only the last output.
        Assert.That(full.narrow(1, 0, 5).allclose(ofChanged.narrow(1, 0, 5)), Is.True);
        Assert.That(full.select(1, 5).allclose(ofChanged.select(1, 5)), Is.False);
    }

    [TestCase(CellKind.Rnn)]
    [TestCase(CellKind.Lstm)]
    [TestCase(CellKind.Gru)]
    [TestCase(CellKind.Irnn)]
    public void Unrolling_step_by_step_computes_the_same_as_the_fused_layer(CellKind kind)
    {
        using var model = new RecurrentClassifier(kind, inputSize: 3, hiddenSize: 5, classes: 10);
        using var scope = NewDisposeScope();
        var input = rand(4, 7, 3);

        var (logits, outputs) = model.ForwardWithOutputs(input);
        var (unrolledLogits, hidden) = model.Unroll(input);

        Assert.That(hidden, Has.Count.EqualTo(7));
        for (int t = 0; t < 7; t++)
            Assert.That(hidden[t].squeeze(0).allclose(outputs.select(1, t), rtol: 1e-5, atol: 1e-6), Is.True, $"step {t}");
        Assert.That(unrolledLogits.allclose(logits, rtol: 1e-5, atol: 1e-6), Is.True);
    }

    [Test]
    public void The_irnn_starts_from_identity_recurrence_zero_biases_and_small_input_weights()
    {
        using var model = new RecurrentClassifier(CellKind.Irnn, inputSize: 28, hiddenSize: 64, classes: 10);
        using var scope = NewDisposeScope();

        Assert.That(model.RecurrentParameter("weight_hh_l0").eq(eye(64)).all().item<bool>(), Is.True);
        Assert.That(model.RecurrentParameter("bias_ih_l0").abs().max().item<float>(), Is.Zero);
        Assert.That(model.RecurrentParameter("bias_hh_l0").abs().max().item<float>(), Is.Zero);
        double inputStd = model.RecurrentParameter("weight_ih_l0").std().item<float>();
        Assert.That(inputStd, Is.InRange(0.0008, 0.0012));
    }

    [Test]
    public void Refuses_input_of_the_wrong_shape()
    {
        using var model = new RecurrentClassifier(CellKind.Lstm, inputSize: 28, hiddenSize: 128, classes: 10);

        var error = Assert.Throws<ArgumentException>(() => model.call(rand(4, 28)))!;

        Assert.That(error.Message, Does.Contain("(batch, steps, 28)"));
    }

    [TestCase("rnn", CellKind.Rnn)]
    [TestCase("LSTM", CellKind.Lstm)]
    [TestCase("gru", CellKind.Gru)]
    [TestCase("IRNN", CellKind.Irnn)]
    public void Cell_names_parse_and_print(string name, CellKind kind)
    {
        Assert.That(CellKindNames.TryParse(name, out var parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(kind));
        Assert.That(kind.ToName(), Is.EqualTo(name.ToLowerInvariant()));
    }

    [TestCase("transformer")]
    [TestCase("7")]
    public void Unknown_cell_names_do_not_parse(string name) =>
        Assert.That(CellKindNames.TryParse(name, out _), Is.False);
}
