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
}

/// <summary>Names of cell kinds as users type and read them.</summary>
public static class CellKindNames
{
    /// <summary>The lowercase name used on the command line and in logs: rnn, lstm, gru.</summary>
    public static string ToName(this CellKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Parses a lowercase or mixed-case name; false when it names no cell kind.</summary>
    public static bool TryParse(string name, out CellKind kind) =>
        Enum.TryParse(name, ignoreCase: true, out kind) && Enum.IsDefined(kind);
}
