namespace MnistRnn.Models;

/// <summary>
/// The architecture of a <see cref="RecurrentClassifier"/>: everything needed to build one again, and what a model
/// file records beside its weights. Nothing here assumes a dataset; the input size and class count come from the data.
/// </summary>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="InputSize">Features per step.</param>
/// <param name="HiddenSize">Width of the hidden state of each layer and direction.</param>
/// <param name="Classes">Number of classes, at least 2.</param>
public sealed record RecurrentClassifierOptions(CellKind Cell, int InputSize, int HiddenSize, int Classes)
{
    /// <summary>The widest hidden state accepted: an LSTM this wide has 4.3 billion recurrent weights, far past any machine's memory.</summary>
    public const int MaxHiddenSize = 1 << 15;

    /// <summary>The most features per step, layers and classes accepted; bounds that keep weight counts within reach of a real machine.</summary>
    public const int MaxInputSize = 1 << 20, MaxLayers = 64, MaxClasses = 1 << 20;

    /// <summary>Stacked recurrent layers; each reads the one below's output. Default: 1.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Whether each layer also reads the sequence backwards; the classifier then sees both directions' final states. Default: false.</summary>
    public bool Bidirectional { get; init; }

    /// <summary>Dropout probability on the outputs of every layer but the last, while training (as <c>nn.LSTM</c>'s <c>dropout</c>). Default: 0.</summary>
    public double Dropout { get; init; }

    /// <summary>Directions each layer reads: 1, or 2 when <see cref="Bidirectional"/>.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>
    /// The number of weights such a classifier has, computed without building it: per gate, input and recurrent
    /// matrices and two bias vectors for every layer and direction (TorchSharp's and PyTorch's layout), plus the linear layer.
    /// </summary>
    public long ParameterCount => ParameterShapes.Sum(p => p.Shape.Aggregate(1L, (count, dimension) => count * dimension));

    /// <summary>
    /// Every weight's name and shape, in the module's order, without building it: <c>recurrent.weight_ih_l0</c>
    /// (gates × hidden, input), <c>recurrent.weight_hh_l0</c>, <c>recurrent.bias_ih_l0</c>, <c>recurrent.bias_hh_l0</c>,
    /// then <c>_reverse</c> for the backward direction and <c>l1</c>, ... for the layers above, then <c>classifier.weight</c> and <c>classifier.bias</c>.
    /// These are PyTorch's <c>state_dict</c> names for an <c>nn.LSTM</c>/<c>nn.GRU</c>/<c>nn.RNN</c> named recurrent and an <c>nn.Linear</c> named classifier.
    /// </summary>
    public IReadOnlyList<(string Name, long[] Shape)> ParameterShapes
    {
        get
        {
            long gates = Cell switch { CellKind.Lstm => 4, CellKind.Gru => 3, _ => 1 };
            long rows = gates * HiddenSize;
            var shapes = new List<(string, long[])>();
            for (int layer = 0; layer < Layers; layer++)
            {
                long layerInput = layer == 0 ? InputSize : (long)HiddenSize * Directions;
                foreach (string suffix in Bidirectional ? new[] { $"l{layer}", $"l{layer}_reverse" } : [$"l{layer}"])
                {
                    shapes.Add(($"recurrent.weight_ih_{suffix}", [rows, layerInput]));
                    shapes.Add(($"recurrent.weight_hh_{suffix}", [rows, HiddenSize]));
                    shapes.Add(($"recurrent.bias_ih_{suffix}", [rows]));
                    shapes.Add(($"recurrent.bias_hh_{suffix}", [rows]));
                }
            }
            shapes.Add(("classifier.weight", [Classes, (long)HiddenSize * Directions]));
            shapes.Add(("classifier.bias", [Classes]));
            return shapes;
        }
    }

    /// <summary>What is wrong with these options, in one sentence naming the property; null when they are valid.</summary>
    public string? Problem() =>
        !Enum.IsDefined(Cell) ? $"Cell {Cell} is not a known cell kind."
        : InputSize is < 1 or > MaxInputSize ? $"InputSize must be 1 to {MaxInputSize}, got {InputSize}."
        : HiddenSize is < 1 or > MaxHiddenSize ? $"HiddenSize must be 1 to {MaxHiddenSize}, got {HiddenSize}."
        : Classes is < 2 or > MaxClasses ? $"Classes must be 2 to {MaxClasses}, got {Classes}."
        : Layers is < 1 or > MaxLayers ? $"Layers must be 1 to {MaxLayers}, got {Layers}."
        : !(Dropout >= 0 && Dropout < 1) ? $"Dropout must be at least 0 and below 1, got {Dropout}."
        : Dropout > 0 && Layers == 1 ? "Dropout applies between layers, so it needs Layers of 2 or more."
        : null;

    /// <summary>Throws when <see cref="Problem"/> finds one.</summary>
    /// <exception cref="ArgumentException">The options are not valid; the message says which and why.</exception>
    public void EnsureValid()
    {
        if (Problem() is { } problem) throw new ArgumentException(problem);
    }

    /// <summary>One line for messages: the cell, hidden size and shape, for example "lstm, hidden 128, 2 layers, bidirectional, 28 input features, 10 classes".</summary>
    public override string ToString() =>
        $"{Cell.ToName()}, hidden {HiddenSize}{(Layers > 1 ? $", {Layers} layers" : "")}{(Bidirectional ? ", bidirectional" : "")}" +
        $"{(Dropout > 0 ? $", dropout {Dropout}" : "")}, {InputSize} input features, {Classes} classes";
}
