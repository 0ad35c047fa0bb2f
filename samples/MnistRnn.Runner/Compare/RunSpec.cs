using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Compare;

/// <summary>
/// One configuration of <c>mnist-rnn compare</c>, written <c>CELL[:key=value,...]</c> where each key is a training flag
/// without its dashes (lr, clip-norm, hidden, layers, bidirectional, schedule, ...; 0 turns clipping off), for example
/// <c>rnn:clip-norm=1</c> or <c>gru:layers=2,bidirectional=true</c>. Whatever it does not set comes from the shared flags.
/// </summary>
internal sealed record RunSpec(string Label, CellKind Model, IReadOnlyList<(string Key, string Value)> Settings)
{
    private const string Usage = "write CELL[:key=value,...] with CELL rnn, lstm, gru or irnn and keys named as train's flags (lr, clip-norm, layers, ...)";

    /// <summary>
    /// The seed story in one list: the experiment's unclipped tanh RNN, the same with clipping and with a
    /// lower learning rate, the IRNN, the LSTM and the GRU, all at the experiment's settings otherwise.
    /// </summary>
    public static readonly IReadOnlyList<string> Defaults =
        ["rnn:clip-norm=0", "rnn:clip-norm=1", "rnn:lr=0.001", "irnn:lr=0.001", "lstm", "gru"];

    /// <summary>A name safe for a file or folder: the label with every separator turned into '-'.</summary>
    public string Slug => SlugOf(Label);

    /// <summary><paramref name="label"/> as a name safe for a file or folder: letters, digits and dots kept, the rest '-'.</summary>
    public static string SlugOf(string label) => string.Concat(label.Select(c => char.IsLetterOrDigit(c) || c == '.' ? c : '-'));

    /// <summary>The shared options with this configuration's cell and settings applied, validated.</summary>
    /// <exception cref="UserErrorException">A setting's value is invalid; the message quotes the spec.</exception>
    public TrainingOptions ApplyTo(TrainingOptions shared, TrainFlags flags)
    {
        try
        {
            return flags.ApplyRunSpec(shared with { Cell = Model }, Settings);
        }
        catch (UserErrorException e)
        {
            throw Invalid(Label, e.Message.TrimEnd('.'));
        }
    }

    /// <summary>Parses <paramref name="text"/>, whose keys must be among <paramref name="keys"/>.</summary>
    /// <exception cref="UserErrorException">It is malformed; the message quotes it.</exception>
    public static RunSpec Parse(string text, IEnumerable<string> keys)
    {
        string[] parts = text.Split(':', 2);
        if (!CellKindNames.TryParse(parts[0], out var model))
            throw Invalid(text, $"'{parts[0]}' is not a cell");
        var known = keys.ToHashSet();
        var settings = new List<(string, string)>();
        if (parts.Length == 2)
        {
            foreach (string setting in parts[1].Split(','))
            {
                string[] pair = setting.Split('=', 2);
                if (pair.Length != 2 || pair[1].Length == 0) throw Invalid(text, $"'{setting}' is not key=value");
                if (!known.Contains(pair[0])) throw Invalid(text, $"'{setting}' sets no known key");
                settings.Add((pair[0], pair[1]));
            }
        }
        return new RunSpec(text, model, settings);
    }

    private static UserErrorException Invalid(string text, string problem) =>
        new(ExitCodes.InvalidArguments, $"--runs: in '{text}', {problem}; {Usage}.");
}
