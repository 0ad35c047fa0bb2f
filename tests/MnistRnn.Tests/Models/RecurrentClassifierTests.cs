using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Models;

public sealed class RecurrentClassifierTests
{
    [TestCase(CellKind.Rnn)]
    [TestCase(CellKind.Lstm)]
    [TestCase(CellKind.Gru)]
    public void Maps_a_batch_of_sequences_to_class_logits(CellKind kind)
    {
        using var model = new RecurrentClassifier(kind, inputSize: 28, hiddenSize: 16, classes: 10);
        using var scope = NewDisposeScope();

        var (logits, last) = model.ForwardWithLastOutput(rand(5, 28, 28));

        Assert.That(logits.shape, Is.EqualTo(new long[] { 5, 10 }));
        Assert.That(last.shape, Is.EqualTo(new long[] { 5, 16 }));
    }

    [TestCase(CellKind.Rnn, 2)]
    [TestCase(CellKind.Lstm, 2)]
    [TestCase(CellKind.Gru, 2)]
    public void Exposes_the_recurrent_weight_matrices_and_names_its_parts(CellKind kind, int weightCount)
    {
        using var model = new RecurrentClassifier(kind, hiddenSize: 8);
        int gates = kind switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };

        Assert.That(model.RecurrentWeights, Has.Count.EqualTo(weightCount));
        Assert.That(model.RecurrentWeights[0].shape, Is.EqualTo(new long[] { gates * 8, 28 }));
        Assert.That(model.named_parameters().Select(p => p.name),
            Is.SupersetOf(new[] { "recurrent.weight_ih_l0", "recurrent.weight_hh_l0", "classifier.weight", "classifier.bias" }));
    }

    [Test]
    public void The_last_output_is_the_recurrent_layers_final_step()
    {
        using var model = new RecurrentClassifier(CellKind.Gru, inputSize: 3, hiddenSize: 4);
        using var scope = NewDisposeScope();
        var input = rand(2, 6, 3);

        var (_, lastOfFull) = model.ForwardWithLastOutput(input);
        // Changing a late step changes the last output; the model reads the whole sequence.
        var changed = input.clone();
        changed[.., 5, ..] = zeros(2, 3);
        var (_, lastOfChanged) = model.ForwardWithLastOutput(changed);

        Assert.That(lastOfFull.allclose(lastOfChanged), Is.False);
    }

    [Test]
    public void Refuses_input_of_the_wrong_shape()
    {
        using var model = new RecurrentClassifier(CellKind.Lstm);

        var error = Assert.Throws<ArgumentException>(() => model.call(rand(4, 28)))!;

        Assert.That(error.Message, Does.Contain("(batch, steps, 28)"));
    }

    [TestCase("rnn", CellKind.Rnn)]
    [TestCase("LSTM", CellKind.Lstm)]
    [TestCase("gru", CellKind.Gru)]
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
