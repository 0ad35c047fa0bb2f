using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace MnistRnn.Models;

/// <summary>
/// A sequence classifier: recurrent layers (tanh RNN, LSTM, GRU or IRNN; stacked, one or both directions) read the
/// sequence and a linear layer maps the final hidden state of the top layer (both directions' when bidirectional)
/// to class logits. Sequences of different lengths are read packed, each to its own last step.
/// </summary>
public sealed class RecurrentClassifier : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "recurrent")]
    private readonly nn.Module _recurrent;

    [ComponentName(Name = "classifier")]
    private readonly Linear _classifier;

    /// <summary>Builds a one-layer, one-direction classifier with freshly initialised weights (from torch's global generator).</summary>
    /// <param name="kind">The recurrent cell.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="hiddenSize">Width of the hidden state.</param>
    /// <param name="classes">Number of classes.</param>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public RecurrentClassifier(CellKind kind, int inputSize, int hiddenSize, int classes)
        : this(new RecurrentClassifierOptions(kind, inputSize, hiddenSize, classes))
    {
    }

    /// <summary>Builds the classifier <paramref name="options"/> describe, with freshly initialised weights (from torch's global generator).</summary>
    /// <exception cref="ArgumentException">The options are not valid; the message says which and why.</exception>
    public RecurrentClassifier(RecurrentClassifierOptions options)
        : base($"RecurrentClassifier({options.Cell.ToName()})")
    {
        options.EnsureValid();
        Options = options;
        var (input, hidden, layers, dropout, bidirectional) = (options.InputSize, options.HiddenSize, options.Layers, options.Dropout, options.Bidirectional);
        _recurrent = options.Cell switch
        {
            CellKind.Rnn => nn.RNN(input, hidden, layers, nn.NonLinearities.Tanh, batchFirst: true, dropout: dropout, bidirectional: bidirectional),
            CellKind.Lstm => nn.LSTM(input, hidden, layers, batchFirst: true, dropout: dropout, bidirectional: bidirectional),
            CellKind.Gru => nn.GRU(input, hidden, layers, batchFirst: true, dropout: dropout, bidirectional: bidirectional),
            _ => nn.RNN(input, hidden, layers, nn.NonLinearities.ReLU, batchFirst: true, dropout: dropout, bidirectional: bidirectional),
        };
        _classifier = nn.Linear((long)hidden * options.Directions, options.Classes);
        RegisterComponents();
        if (options.Cell == CellKind.Irnn) InitialiseAsIdentity();
    }

    private bool _disposed;

    /// <summary>
    /// Whether <c>Trainer.Train</c> has trained these weights in this process, so that a second call, which would start a
    /// new optimizer and replay the batch order from the seed, is refused rather than taken for a continuation.
    /// </summary>
    internal bool TrainedByTrainer { get; set; }

    /// <summary>The device its weights are on.</summary>
    /// <exception cref="ObjectDisposedException">It was disposed.</exception>
    internal Device WeightsDevice
    {
        get
        {
            EnsureNotDisposed();
            return parameters().First().device;
        }
    }

    /// <summary>Throws when the model was disposed: its parameters are gone, and libtorch would only say "empty handle".</summary>
    /// <exception cref="ObjectDisposedException">It was disposed.</exception>
    internal void EnsureNotDisposed()
    {
        if (_disposed)
            throw new ObjectDisposedException(null, $"this {Options.Cell.ToName()} RecurrentClassifier was disposed, which released its weights; load or build the model again.");
    }

    /// <summary>Releases the weights; the model then refuses to be used, in a sentence that says so.</summary>
    /// <param name="disposing">True from <c>Dispose()</c>, false from the finalizer.</param>
    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    /// <summary>
    /// The number of weights a one-layer, one-direction classifier of this architecture has, computed without
    /// building it; see <see cref="RecurrentClassifierOptions.ParameterCount"/> for any architecture.
    /// </summary>
    public static long ParameterCount(CellKind kind, int inputSize, int hiddenSize, int classes) =>
        new RecurrentClassifierOptions(kind, inputSize, hiddenSize, classes).ParameterCount;

    // Le, Jaitly and Hinton (2015), section 2: identity recurrence, zero biases, small input weights; in every layer and direction.
    private void InitialiseAsIdentity()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (string suffix in ParameterSuffixes())
        {
            RecurrentParameter($"weight_hh_{suffix}").copy_(eye(HiddenSize));
            RecurrentParameter($"weight_ih_{suffix}").normal_(0, 0.001);
            RecurrentParameter($"bias_ih_{suffix}").zero_();
            RecurrentParameter($"bias_hh_{suffix}").zero_();
        }
    }

    // l0, l0_reverse, l1, ...: how TorchSharp and PyTorch name each layer's and direction's weights.
    private IEnumerable<string> ParameterSuffixes() =>
        Enumerable.Range(0, Options.Layers).SelectMany(layer => Options.Bidirectional ? new[] { $"l{layer}", $"l{layer}_reverse" } : [$"l{layer}"]);

    /// <summary>The architecture.</summary>
    public RecurrentClassifierOptions Options { get; }

    /// <summary>The recurrent cell.</summary>
    public CellKind Cell => Options.Cell;

    /// <summary>The recurrent cell: the name <see cref="Cell"/> had in 0.1; it goes in 0.3.</summary>
    [Obsolete("Renamed to Cell in 0.2; Kind goes in 0.3.")]
    public CellKind Kind => Cell;

    /// <summary>Features per step.</summary>
    public int InputSize => Options.InputSize;

    /// <summary>Width of the hidden state.</summary>
    public int HiddenSize => Options.HiddenSize;

    /// <summary>Number of classes.</summary>
    public int Classes => Options.Classes;

    /// <summary>
    /// The first recurrent layer's weight matrices (input-to-hidden and hidden-to-hidden, no biases), as the module
    /// holds them now: moving the module to another device or dtype replaces its parameters, so do not keep them.
    /// </summary>
    public IReadOnlyList<Parameter> RecurrentWeights => [RecurrentParameter("weight_ih_l0"), RecurrentParameter("weight_hh_l0")];

    /// <summary>Class logits for a batch of sequences of full length.</summary>
    /// <param name="input">Shape (batch, steps, features).</param>
    /// <returns>Shape (batch, classes).</returns>
    public override Tensor forward(Tensor input) => ForwardWithOutputs(input).Logits;

    /// <summary>Class logits for a batch of sequences, each read up to its own length when <paramref name="lengths"/> are given.</summary>
    /// <param name="input">Shape (batch, steps, features); steps beyond a sequence's length are ignored.</param>
    /// <param name="lengths">Null for full-length sequences, or shape (batch) int64 on the CPU, each 1 to steps.</param>
    /// <returns>Shape (batch, classes).</returns>
    public Tensor forward(Tensor input, Tensor? lengths) => ForwardWithOutputs(input, lengths).Logits;

    /// <summary>Class logits and the top layer's output (hidden state) at every step.</summary>
    /// <param name="input">Shape (batch, steps, features).</param>
    /// <param name="lengths">Null for full-length sequences, or shape (batch) int64 on the CPU; outputs past a sequence's length are zero.</param>
    /// <returns>
    /// Logits (batch, classes) and outputs (batch, steps, hidden times directions). The classifier reads the final
    /// hidden state: the last step's output in one direction, and the backward direction's output at step 0 in the other.
    /// </returns>
    public (Tensor Logits, Tensor Outputs) ForwardWithOutputs(Tensor input, Tensor? lengths = null)
    {
        EnsureNotDisposed();
        CheckInput(input, lengths);
        if (!NeedsTrainingKernel(input)) return Compute(input, lengths);
        using (enable_grad())
        {
            var (logits, outputs) = Compute(input, lengths);
            return (logits.detach(), outputs.detach());
        }
    }

    /// <summary>
    /// True for an LSTM on the CPU asked for outputs without gradients, at a hidden size that is not a multiple of 32. With
    /// gradients off, libtorch 2.10 runs a CPU LSTM on oneDNN's inference kernel, whose outputs are wrong at many such sizes
    /// (docs/checkpoints.md names them); oneDNN's training kernel is right at every size, so such a forward pass runs with
    /// gradients on and is detached. The multiples of 32, the experiment's hidden 128 among them, keep the inference kernel.
    /// </summary>
    private bool NeedsTrainingKernel(Tensor input) =>
        Cell == CellKind.Lstm && HiddenSize % 32 != 0 && input.device_type == DeviceType.CPU && !is_grad_enabled();

    private (Tensor Logits, Tensor Outputs) Compute(Tensor input, Tensor? lengths)
    {
        if (lengths is null)
        {
            // The final states are not needed: the outputs hold them.
            Tensor outputs = _recurrent switch
            {
                LSTM lstm => lstm.call(input).Item1,
                GRU gru => gru.call(input).Item1,
                RNN rnn => rnn.call(input, null).Item1,
                _ => throw new InvalidOperationException("unsupported recurrent module."),
            };
            var final = !Options.Bidirectional ? outputs.select(1, -1)
                : cat([outputs.select(1, -1).narrow(1, 0, HiddenSize), outputs.select(1, 0).narrow(1, HiddenSize, HiddenSize)], 1);
            return (_classifier.call(final), outputs);
        }
        using var packed = nn.utils.rnn.pack_padded_sequence(input, lengths, batch_first: true, enforce_sorted: false);
        var (packedOutputs, finalStates) = _recurrent switch
        {
            LSTM lstm => WithoutCellState(lstm.call(packed)),
            GRU gru => gru.call(packed, null),
            RNN rnn => rnn.call(packed, null),
            _ => throw new InvalidOperationException("unsupported recurrent module."),
        };
        using (packedOutputs)
        {
            // Final states are (layers times directions, batch, hidden), in the batch's own order; the top layer's come last.
            var final = !Options.Bidirectional ? finalStates.select(0, -1)
                : cat([finalStates.select(0, -2), finalStates.select(0, -1)], 1);
            var (padded, _) = nn.utils.rnn.pad_packed_sequence(packedOutputs, batch_first: true, total_length: input.shape[1]);
            return (_classifier.call(final), padded);
        }
    }

    private static (nn.utils.rnn.PackedSequence, Tensor) WithoutCellState((nn.utils.rnn.PackedSequence Outputs, Tensor Hidden, Tensor Cell) lstm) => (lstm.Outputs, lstm.Hidden);

    /// <summary>
    /// The same computation as <see cref="ForwardWithOutputs"/>, one time step per call of the recurrent
    /// layer, so that every hidden state h_t is a node of the autograd graph that gradients can be taken
    /// with respect to. Slower; for diagnostics.
    /// </summary>
    /// <returns>
    /// Logits (batch, classes) and h_t for every step, each (1, batch, hidden) as the layer passes it on:
    /// these very tensors feed the next step, so gradients can be taken with respect to them.
    /// </returns>
    /// <exception cref="NotSupportedException">The model is bidirectional: its backward direction cannot be unrolled forwards.</exception>
    internal (Tensor Logits, IReadOnlyList<Tensor> Hidden) Unroll(Tensor input)
    {
        CheckInput(input, null);
        if (Options.Bidirectional) throw new NotSupportedException("gradient flow is measured for one-direction models only.");
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
        return (_classifier.call(h!.select(0, -1)), hidden);
    }

    /// <summary>
    /// A parameter of the recurrent layer by its TorchSharp name, such as weight_hh_l0, looked up on every call:
    /// <c>to(device)</c> and <c>to(dtype)</c> replace a module's Parameter objects and leave earlier ones without a handle.
    /// </summary>
    internal Parameter RecurrentParameter(string name) =>
        _recurrent.get_parameter(name) ?? throw new ArgumentException($"the recurrent layer has no parameter {name}.", nameof(name));

    private void CheckInput(Tensor input, Tensor? lengths)
    {
        if (input.dim() != 3 || input.shape[2] != InputSize)
            throw new ArgumentException(
                $"input must have shape (batch, steps, {InputSize}), got ({string.Join(", ", input.shape)}).", nameof(input));
        if (lengths is not null && (lengths.dim() != 1 || lengths.shape[0] != input.shape[0] || lengths.dtype != ScalarType.Int64 || lengths.device_type != DeviceType.CPU))
            throw new ArgumentException(
                $"lengths must be int64 on the CPU with shape ({input.shape[0]}), got {lengths.dtype} on {lengths.device} with shape ({string.Join(", ", lengths.shape)}).", nameof(lengths));
    }
}
