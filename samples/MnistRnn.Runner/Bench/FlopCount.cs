using MnistRnn.Models;

namespace MnistRnn.Runner.Bench;

/// <summary>
/// Analytic floating-point operation counts of the matrix products in a <see cref="RecurrentClassifier"/>,
/// the work that bounds its speed. A cell with G gate blocks (tanh RNN and IRNN 1, GRU 3, LSTM 4), input
/// size I and hidden size H multiplies, at every time step, the input by a (G·H × I) matrix and the previous
/// hidden state by a (G·H × H) matrix: 2·G·H·(I + H) operations (a multiply and an add each). The
/// classifier adds 2·H·C once per sequence. Backward computes two products of the same size per forward
/// product (the gradients with respect to the weights and to the inputs), so a training step costs three
/// times the forward pass, the usual convention for model FLOP utilisation. Element-wise work (gate
/// nonlinearities, the loss, Adam) is not counted: it is small and not what a matrix unit measures.
/// </summary>
internal static class FlopCount
{
    /// <summary>Gate blocks of a cell: the multiple of H in its weight matrices' height.</summary>
    public static int Gates(CellKind kind) => kind switch
    {
        CellKind.Rnn or CellKind.Irnn => 1,
        CellKind.Gru => 3,
        CellKind.Lstm => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown cell kind."),
    };

    /// <summary>Forward-pass operations for one sequence of <paramref name="steps"/> steps.</summary>
    public static double Forward(CellKind kind, int inputSize, int hiddenSize, int classes, int steps) =>
        steps * 2.0 * Gates(kind) * hiddenSize * (inputSize + hiddenSize) + 2.0 * hiddenSize * classes;

    /// <summary>Operations of one training step (forward and backward) for one sequence: three forward passes.</summary>
    public static double Training(CellKind kind, int inputSize, int hiddenSize, int classes, int steps) =>
        3 * Forward(kind, inputSize, hiddenSize, classes, steps);
}
