using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MnistRnn.Models;

/// <summary>
/// A sequence classifier: one recurrent layer (tanh RNN, LSTM or GRU) reads the sequence and a
/// linear layer maps the last step's output to class logits. For MNIST read row by row, a
/// sequence is 28 steps of 28 pixels.
/// </summary>
public sealed class RecurrentClassifier : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "recurrent")]
    private readonly nn.Module _recurrent;

    [ComponentName(Name = "classifier")]
    private readonly Linear _classifier;

    /// <summary>Builds the classifier with freshly initialised weights (from torch's global generator).</summary>
    /// <param name="kind">The recurrent cell.</param>
    /// <param name="inputSize">Features per step (28 for MNIST rows).</param>
    /// <param name="hiddenSize">Width of the hidden state (128 in the experiment).</param>
    /// <param name="classes">Number of classes (10 digits).</param>
    public RecurrentClassifier(CellKind kind, int inputSize = 28, int hiddenSize = 128, int classes = 10)
        : base($"RecurrentClassifier({kind.ToName()})")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        Kind = kind;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Classes = classes;
        _recurrent = kind switch
        {
            CellKind.Rnn => nn.RNN(inputSize, hiddenSize, nonLinearity: nn.NonLinearities.Tanh, batchFirst: true),
            CellKind.Lstm => nn.LSTM(inputSize, hiddenSize, batchFirst: true),
            CellKind.Gru => nn.GRU(inputSize, hiddenSize, batchFirst: true),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown cell kind."),
        };
        _classifier = nn.Linear(hiddenSize, classes);
        RegisterComponents();
        RecurrentWeights = _recurrent.named_parameters()
            .Where(p => p.name.StartsWith("weight", StringComparison.Ordinal))
            .Select(p => p.parameter)
            .ToArray();
    }

    /// <summary>The recurrent cell.</summary>
    public CellKind Kind { get; }

    /// <summary>Features per step.</summary>
    public int InputSize { get; }

    /// <summary>Width of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>The recurrent layer's weight matrices (input-to-hidden and hidden-to-hidden, no biases).</summary>
    public IReadOnlyList<Parameter> RecurrentWeights { get; }

    /// <summary>Class logits for a batch of sequences.</summary>
    /// <param name="input">Shape (batch, steps, features).</param>
    /// <returns>Shape (batch, classes).</returns>
    public override Tensor forward(Tensor input) => ForwardWithLastOutput(input).Logits;

    /// <summary>Class logits and the recurrent layer's output at the last step.</summary>
    /// <param name="input">Shape (batch, steps, features).</param>
    /// <returns>Logits (batch, classes) and last output (batch, hidden).</returns>
    public (Tensor Logits, Tensor LastOutput) ForwardWithLastOutput(Tensor input)
    {
        if (input.dim() != 3 || input.shape[2] != InputSize)
            throw new ArgumentException(
                $"input must have shape (batch, steps, {InputSize}), got ({string.Join(", ", input.shape)}).", nameof(input));
        // outputs: (batch, steps, hidden); the final states are not needed.
        Tensor outputs = _recurrent switch
        {
            LSTM lstm => lstm.call(input).Item1,
            GRU gru => gru.call(input).Item1,
            RNN rnn => rnn.call(input, null).Item1,
            _ => throw new InvalidOperationException("unsupported recurrent module."),
        };
        Tensor last = outputs.select(1, -1); // (batch, hidden)
        return (_classifier.call(last), last);
    }
}
