using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MnistRnn.Models;

/// <summary>
/// A sequence classifier: one recurrent layer (tanh RNN, LSTM, GRU or IRNN) reads the sequence and a
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
            CellKind.Irnn => nn.RNN(inputSize, hiddenSize, nonLinearity: nn.NonLinearities.ReLU, batchFirst: true),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown cell kind."),
        };
        _classifier = nn.Linear(hiddenSize, classes);
        RegisterComponents();
        if (kind == CellKind.Irnn) InitialiseAsIdentity();
    }

    /// <summary>
    /// The number of weights a classifier of this architecture has, computed without building it: per gate,
    /// input and recurrent matrices and two bias vectors (TorchSharp's and PyTorch's layout), plus the linear layer.
    /// </summary>
    public static long ParameterCount(CellKind kind, int inputSize, int hiddenSize, int classes)
    {
        long gates = kind switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };
        return gates * hiddenSize * ((long)inputSize + hiddenSize + 2) + (long)classes * (hiddenSize + 1);
    }

    // Le, Jaitly and Hinton (2015), section 2: identity recurrence, zero biases, small input weights.
    private void InitialiseAsIdentity()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        RecurrentParameter("weight_hh_l0").copy_(eye(HiddenSize));
        RecurrentParameter("weight_ih_l0").normal_(0, 0.001);
        RecurrentParameter("bias_ih_l0").zero_();
        RecurrentParameter("bias_hh_l0").zero_();
    }

    /// <summary>The recurrent cell.</summary>
    public CellKind Kind { get; }

    /// <summary>Features per step.</summary>
    public int InputSize { get; }

    /// <summary>Width of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>
    /// The recurrent layer's weight matrices (input-to-hidden and hidden-to-hidden, no biases), as the module
    /// holds them now: moving the module to another device or dtype replaces its parameters, so do not keep them.
    /// </summary>
    public IReadOnlyList<Parameter> RecurrentWeights => [RecurrentParameter("weight_ih_l0"), RecurrentParameter("weight_hh_l0")];

    /// <summary>Class logits for a batch of sequences.</summary>
    /// <param name="input">Shape (batch, steps, features).</param>
    /// <returns>Shape (batch, classes).</returns>
    public override Tensor forward(Tensor input) => ForwardWithOutputs(input).Logits;

    /// <summary>Class logits and the recurrent layer's output (hidden state) at every step.</summary>
    /// <param name="input">Shape (batch, steps, features).</param>
    /// <returns>Logits (batch, classes) and outputs (batch, steps, hidden); the last step's output feeds the classifier.</returns>
    public (Tensor Logits, Tensor Outputs) ForwardWithOutputs(Tensor input)
    {
        CheckInput(input);
        // The final states are not needed: the last output is the final hidden state.
        Tensor outputs = _recurrent switch
        {
            LSTM lstm => lstm.call(input).Item1,
            GRU gru => gru.call(input).Item1,
            RNN rnn => rnn.call(input, null).Item1,
            _ => throw new InvalidOperationException("unsupported recurrent module."),
        };
        return (_classifier.call(outputs.select(1, -1)), outputs);
    }

    /// <summary>
    /// The same computation as <see cref="ForwardWithOutputs"/>, one time step per call of the recurrent
    /// layer, so that every hidden state h_t is a node of the autograd graph that gradients can be taken
    /// with respect to. Slower; for diagnostics.
    /// </summary>
    /// <returns>
    /// Logits (batch, classes) and h_t for every step, each (1, batch, hidden) as the layer passes it on:
    /// these very tensors feed the next step, so gradients can be taken with respect to them.
    /// </returns>
    internal (Tensor Logits, IReadOnlyList<Tensor> Hidden) Unroll(Tensor input)
    {
        CheckInput(input);
        var hidden = new List<Tensor>();
        Tensor? h = null, c = null;
        for (long t = 0; t < input.shape[1]; t++)
        {
            var step = input.narrow(1, t, 1);
            switch (_recurrent)
            {
                case LSTM lstm:
                    (_, h, c) = lstm.call(step, h is null ? null : (h, c!));
                    break;
                case GRU gru:
                    (_, h) = gru.call(step, h);
                    break;
                case RNN rnn:
                    (_, h) = rnn.call(step, h);
                    break;
            }
            hidden.Add(h!);
        }
        return (_classifier.call(h!.squeeze(0)), hidden);
    }

    /// <summary>
    /// A parameter of the recurrent layer by its TorchSharp name, such as weight_hh_l0, looked up on every call:
    /// <c>to(device)</c> and <c>to(dtype)</c> replace a module's Parameter objects and leave earlier ones without a handle.
    /// </summary>
    internal Parameter RecurrentParameter(string name) =>
        _recurrent.get_parameter(name) ?? throw new ArgumentException($"the recurrent layer has no parameter {name}.", nameof(name));

    private void CheckInput(Tensor input)
    {
        if (input.dim() != 3 || input.shape[2] != InputSize)
            throw new ArgumentException(
                $"input must have shape (batch, steps, {InputSize}), got ({string.Join(", ", input.shape)}).", nameof(input));
    }
}
