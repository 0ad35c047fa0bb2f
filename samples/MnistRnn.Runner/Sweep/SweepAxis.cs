namespace MnistRnn.Runner.Sweep;

/// <summary>
/// One axis of a study, <c>--vary KEY=V1,V2,...</c>: a setting <c>train</c> takes (its flag's name without dashes, as in a
/// config file) or <c>threads</c>, and the values it takes in turn. The values are read by the flag's own parser when the
/// plan's trials are made.
/// </summary>
internal sealed record SweepAxis(string Key, IReadOnlyList<string> Values)
{
    /// <summary>The key that sets a trial's CPU threads, which is not a setting of <c>train</c> but of the process.</summary>
    public const string ThreadsKey = "threads";

    /// <summary>Parses <paramref name="text"/>, whose key must be one of <paramref name="keys"/> or <see cref="ThreadsKey"/>.</summary>
    /// <exception cref="UserErrorException">It is malformed, names an unknown key or the seed, or has an empty or repeated value (exit 2).</exception>
    public static SweepAxis Parse(string text, IReadOnlyCollection<string> keys)
    {
        string[] pair = text.Split('=', 2);
        string key = pair[0].Trim();
        if (pair.Length != 2 || key.Length == 0)
            throw Invalid(text, "write KEY=V1,V2,... with KEY one of train's flag names without dashes, such as lr=0.01,0.005");
        if (key == "seed") throw Invalid(text, "seeds are set with --seeds, such as --seeds 1-5");
        if (!keys.Contains(key) && key != ThreadsKey)
            throw Invalid(text, $"'{Printable(key)}' is not a setting train takes; use one of its flag names without dashes ({string.Join(", ", keys.Take(8))}, ...) or threads");
        string[] values = pair[1].Split(',').Select(v => v.Trim()).ToArray();
        if (values.Any(v => v.Length == 0))
            throw Invalid(text, $"the axis has an empty value; give one or more values separated by commas, such as {key}=A,B");
        if (values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw Invalid(text, $"{Printable(twice.Key)} is given twice");
        return new SweepAxis(key, values);
    }

    private static string Printable(string text) => text.Length > 40 || text.Any(char.IsControl) ? string.Concat(text.Take(40).Where(c => !char.IsControl(c))) + "..." : text;

    private static UserErrorException Invalid(string text, string problem) => new(ExitCodes.InvalidArguments, $"--vary {Printable(text)}: {problem}.");
}
