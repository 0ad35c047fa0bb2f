namespace MnistRnn.Models;

/// <summary>The recurrent cell a <see cref="RecurrentClassifier"/> is built from.</summary>
public enum CellKind
{
    /// <summary>Vanilla (Elman) RNN with tanh: h_t = tanh(W_ih x_t + W_hh h_(t-1) + b).</summary>
    Rnn,

    /// <summary>Long short-term memory (Hochreiter and Schmidhuber, 1997).</summary>
    Lstm,

    /// <summary>Gated recurrent unit (Cho et al., 2014).</summary>
    Gru,

    /// <summary>
    /// IRNN (Le, Jaitly and Hinton, 2015): h_t = relu(W_ih x_t + W_hh h_(t-1) + b) with W_hh
    /// initialised to the identity, W_ih drawn from N(0, 0.001^2) and zero biases, so at the start
    /// the hidden state is carried forward unchanged and gradients neither shrink nor grow through time.
    /// </summary>
    Irnn,
}

/// <summary>Names of cell kinds as users type and read them.</summary>
public static class CellKindNames
{
    /// <summary>The lowercase name used on the command line and in logs: rnn, lstm, gru, irnn.</summary>
    public static string ToName(this CellKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Parses a lowercase or mixed-case name; false when it names no cell kind.</summary>
    public static bool TryParse(string name, out CellKind kind) =>
        EnumNames.TryParse(name, out kind);
}
