using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Diagnostics;

/// <summary>
/// The fraction of a recurrent layer's nonlinearities that are flat, where almost no gradient passes.
/// <list type="bullet">
/// <item>tanh RNN: hidden values with |h| &gt; 0.99 (tanh' &lt; 0.02). The seed experiment's collapsed
/// RNN printed hidden states of ±1: this is that observation as a number.</item>
/// <item>IRNN: hidden values exactly 0, where ReLU's derivative is 0 (ReLU never saturates above).</item>
/// <item>LSTM and GRU: gate activations within 0.01 of a bound (sigmoid &lt; 0.01 or &gt; 0.99, tanh
/// |g| &gt; 0.99), recomputed from the layer's weights. Their hidden output is a product of gates and
/// cannot be read the same way. A saturated gate is not a failure here: a forget gate held at 1 is how
/// an LSTM carries memory, so this figure describes the gates rather than predicting collapse.</item>
/// </list>
/// </summary>
public static class Saturation
{
    /// <summary>Distance from a bound within which an activation counts as saturated.</summary>
    public const double Margin = 0.01;

    /// <summary>The saturated fraction of <paramref name="model"/>'s nonlinearities for one batch.</summary>
    /// <param name="model">The classifier that produced <paramref name="outputs"/>.</param>
    /// <param name="input">The batch it read, (batch, steps, features).</param>
    /// <param name="outputs">Its recurrent outputs, (batch, steps, hidden), from <see cref="RecurrentClassifier.ForwardWithOutputs"/>.</param>
    /// <returns>The fraction, or NaN for a model of several layers or two directions, whose layers it does not see.</returns>
    public static double Measure(RecurrentClassifier model, Tensor input, Tensor outputs)
    {
        // The gates are recomputed from the first layer's weights and the outputs, which are the first layer's only in a one-layer, one-direction model.
        if (model.Options.Layers > 1 || model.Options.Bidirectional) return double.NaN;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.Cell switch
        {
            CellKind.Rnn => FlatTanh(outputs).mean().item<float>(),
            CellKind.Irnn => outputs.eq(0).to(ScalarType.Float32).mean().item<float>(),
            CellKind.Lstm => LstmGates(model, input, outputs),
            CellKind.Gru => GruGates(model, input, outputs),
            _ => throw new ArgumentOutOfRangeException(nameof(model), model.Cell, "unknown cell kind."),
        };
    }

    private static Tensor FlatTanh(Tensor activation) => activation.abs().gt(1 - Margin).to(ScalarType.Float32);

    private static Tensor FlatSigmoid(Tensor activation) =>
        activation.lt(Margin).logical_or(activation.gt(1 - Margin)).to(ScalarType.Float32);

    // h_(t-1) for every step: a zero initial state, then the outputs shifted by one step.
    private static Tensor PreviousHidden(Tensor outputs) =>
        cat([zeros_like(outputs.narrow(1, 0, 1)), outputs.narrow(1, 0, outputs.shape[1] - 1)], 1);

    private static double LstmGates(RecurrentClassifier model, Tensor input, Tensor outputs)
    {
        // Gate pre-activations for every step at once; PyTorch's gate order is input, forget, cell, output.
        var gates = nn.functional.linear(input, model.RecurrentParameter("weight_ih_l0"), model.RecurrentParameter("bias_ih_l0"))
            + nn.functional.linear(PreviousHidden(outputs), model.RecurrentParameter("weight_hh_l0"), model.RecurrentParameter("bias_hh_l0"));
        var chunks = gates.chunk(4, -1);
        var flat = FlatSigmoid(chunks[0].sigmoid()).sum() + FlatSigmoid(chunks[1].sigmoid()).sum()
            + FlatTanh(chunks[2].tanh()).sum() + FlatSigmoid(chunks[3].sigmoid()).sum();
        return flat.item<float>() / gates.numel();
    }

    private static double GruGates(RecurrentClassifier model, Tensor input, Tensor outputs)
    {
        // PyTorch's GRU: r and z are sigmoids of x and h; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
        var fromInput = nn.functional.linear(input, model.RecurrentParameter("weight_ih_l0"), model.RecurrentParameter("bias_ih_l0")).chunk(3, -1);
        var fromHidden = nn.functional.linear(PreviousHidden(outputs), model.RecurrentParameter("weight_hh_l0"), model.RecurrentParameter("bias_hh_l0")).chunk(3, -1);
        var reset = (fromInput[0] + fromHidden[0]).sigmoid();
        var update = (fromInput[1] + fromHidden[1]).sigmoid();
        var candidate = (fromInput[2] + reset * fromHidden[2]).tanh();
        var flat = FlatSigmoid(reset).sum() + FlatSigmoid(update).sum() + FlatTanh(candidate).sum();
        return flat.item<float>() / (3.0 * reset.numel());
    }
}
