using System.Globalization;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Compare;

/// <summary>
/// One configuration of <c>mnist-rnn compare</c>, written <c>CELL[:key=value,...]</c> with keys lr,
/// clip-norm and clip-value (0 turns clipping off), for example <c>rnn:clip-norm=1</c> or
/// <c>irnn:lr=0.001,clip-norm=1</c>. Whatever it does not set comes from the shared flags.
/// </summary>
internal sealed record RunSpec(string Label, CellKind Model, double? LearningRate, double? ClipNorm, double? ClipValue)
{
    private const string Usage = "write CELL[:key=value,...] with CELL rnn, lstm, gru or irnn and keys lr, clip-norm, clip-value";

    /// <summary>
    /// The seed story in one list: the experiment's unclipped tanh RNN, the same with clipping and with a
    /// lower learning rate, the IRNN, the LSTM and the GRU, all at the experiment's settings otherwise.
    /// </summary>
    public static readonly IReadOnlyList<string> Defaults =
        ["rnn:clip-norm=0", "rnn:clip-norm=1", "rnn:lr=0.001", "irnn:lr=0.001", "lstm", "gru"];

    /// <summary>A name safe for a file or folder: the label with every separator turned into '-'.</summary>
    public string Slug => string.Concat(Label.Select(c => char.IsLetterOrDigit(c) || c == '.' ? c : '-'));

    /// <summary>The shared options with this configuration's settings applied.</summary>
    public TrainingOptions ApplyTo(TrainingOptions shared) => shared with
    {
        Model = Model,
        LearningRate = LearningRate ?? shared.LearningRate,
        ClipNorm = ClipNorm is null ? shared.ClipNorm : ClipNorm == 0 ? null : ClipNorm,
        ClipValue = ClipValue is null ? shared.ClipValue : ClipValue == 0 ? null : ClipValue,
    };

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="UserErrorException">It is malformed; the message quotes it.</exception>
    public static RunSpec Parse(string text)
    {
        string[] parts = text.Split(':', 2);
        if (!CellKindNames.TryParse(parts[0], out var model))
            throw Invalid(text, $"'{parts[0]}' is not a cell");
        double? lr = null, clipNorm = null, clipValue = null;
        if (parts.Length == 2)
        {
            foreach (string setting in parts[1].Split(','))
            {
                string[] pair = setting.Split('=', 2);
                if (pair.Length != 2 || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                    || !double.IsFinite(value) || value < 0)
                    throw Invalid(text, $"'{setting}' is not key=non-negative-number");
                switch (pair[0])
                {
                    case "lr" when value > 0: lr = value; break;
                    case "clip-norm": clipNorm = value; break;
                    case "clip-value": clipValue = value; break;
                    default: throw Invalid(text, $"'{setting}' sets no known key, or lr=0");
                }
            }
        }
        return new RunSpec(text, model, lr, clipNorm, clipValue);
    }

    private static UserErrorException Invalid(string text, string problem) =>
        new(ExitCodes.InvalidArguments, $"--runs: in '{text}', {problem}; {Usage}.");
}
