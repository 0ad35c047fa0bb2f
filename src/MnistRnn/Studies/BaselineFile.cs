using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistRnn.IO;

namespace MnistRnn.Studies;

/// <summary>
/// A distribution stored as a file, the baseline a regression test compares with:
/// <c>{ "format": 1, "machine": "...", "threads": 1, "scores": [ { "seed": 1, "score": 0.9837 }, ... ] }</c>.
/// </summary>
public static class BaselineFile
{
    private const int Format = 1;
    private const long MaxBytes = 1 << 20;
    private const int MaxScores = 10_000;

    /// <summary>Writes <paramref name="distribution"/> to <paramref name="path"/>, whole or not at all.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void Write(ScoreDistribution distribution, string path)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        var scores = new JsonArray();
        foreach (var score in distribution.Scores) scores.Add(new JsonObject { ["seed"] = score.Seed, ["score"] = score.Value });
        var file = new JsonObject { ["format"] = Format, ["machine"] = distribution.Machine, ["threads"] = distribution.Threads, ["scores"] = scores };
        AtomicFile.WriteAllText(path, file.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
    }

    /// <summary>Reads the distribution in <paramref name="path"/>, checking its size and shape first.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">It is not a baseline file; the message names it and says what is wrong.</exception>
    public static ScoreDistribution Read(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(RegularFile.ReadAllBytes(path, MaxBytes, "baseline"));
        }
        catch (JsonException)
        {
            throw Invalid(path, "it is not valid JSON");
        }
        if (root is not JsonObject file || file["format"] is not JsonValue format || !format.TryGetValue(out int version) || version != Format)
            throw Invalid(path, $"it is not a baseline of format {Format}");
        if (file["machine"] is not JsonValue machine || !machine.TryGetValue(out string? machineText)
            || file["threads"] is not JsonValue threads || !threads.TryGetValue(out int threadCount) || threadCount < 1
            || file["scores"] is not JsonArray items || items.Count is 0 or > MaxScores)
            throw Invalid(path, $"it needs a machine, a thread count and 1 to {MaxScores:N0} scores");
        var scores = new List<SeedScore>(items.Count);
        foreach (var item in items)
        {
            if (item is not JsonObject entry || entry["seed"] is not JsonValue seed || !seed.TryGetValue(out long seedValue)
                || entry["score"] is not JsonValue score || !score.TryGetValue(out double scoreValue) || !double.IsFinite(scoreValue))
                throw Invalid(path, string.Create(CultureInfo.InvariantCulture, $"score {scores.Count + 1} is not a seed and a finite score"));
            scores.Add(new SeedScore(seedValue, scoreValue));
        }
        return new ScoreDistribution(scores, threadCount, machineText);
    }

    private static InvalidDataException Invalid(string path, string problem) =>
        new($"{path} is not a baseline file ({problem}); delete it and record a new baseline.");
}
