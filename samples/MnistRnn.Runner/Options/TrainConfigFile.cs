using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistRnn.IO;

namespace MnistRnn.Runner.Options;

/// <summary>
/// A <c>train --config FILE.json</c> file: one JSON object whose keys are train's flag names without their dashes and
/// whose values are what the flag would take (<c>{ "model": "gru", "lr": 0.005, "bidirectional": true }</c>), read
/// through the flags' own parsers. <c>--print-config</c> writes one.
/// </summary>
internal static class TrainConfigFile
{
    /// <summary>Larger than any config a person writes, small enough to read whole.</summary>
    private const long MaxBytes = 1 << 20;

    /// <summary>The file's settings as flag-name and value pairs, in the file's order; a null value is left out (the default applies).</summary>
    /// <exception cref="UserErrorException">The file is missing, not JSON, not an object, has an unknown key or a value of the wrong kind (exit 2).</exception>
    public static IReadOnlyList<(string Key, string Value)> Read(string path, IReadOnlySet<string> keys)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(RegularFile.ReadAllBytes(path, MaxBytes, "config"), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--config: {e.Message}");
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--config: cannot read {path} ({e.Message}).");
        }
        catch (JsonException e)
        {
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--config: {path} is not valid JSON ({e.Message.Split('\n')[0].TrimEnd('.')}).");
        }
        if (root is not JsonObject settings)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--config: {path} must hold one JSON object of settings, such as {{ \"model\": \"gru\" }}.");
        var pairs = new List<(string, string)>();
        foreach (var (key, value) in settings)
        {
            if (!keys.Contains(key))
                throw new UserErrorException(ExitCodes.InvalidArguments,
                    $"--config: {path} has an unknown key '{Printable(key)}'; keys are train's flag names without dashes, as --print-config writes them.");
            if (value is null) continue;
            string text = value is JsonValue scalar && scalar.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                ? scalar.GetValueKind() == JsonValueKind.String ? scalar.GetValue<string>() : scalar.ToJsonString()
                : throw new UserErrorException(ExitCodes.InvalidArguments,
                    $"--config: in {path}, key '{key}' must be a number, a string or true/false, not {value.GetValueKind().ToString().ToLowerInvariant()}.");
            pairs.Add((key, text));
        }
        return pairs;
    }

    /// <summary>The settings as a config file: one key per line, in the order given.</summary>
    public static string Write(IEnumerable<(string Key, object? Value)> settings)
    {
        var config = new JsonObject();
        foreach (var (key, value) in settings)
        {
            config[key] = value switch
            {
                null => null,
                bool b => JsonValue.Create(b),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double d => JsonValue.Create(d),
                _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
            };
        }
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    // A key quoted in a message stays on one line.
    private static string Printable(string key) => key.Length > 64 || key.Any(char.IsControl) ? string.Concat(key.Take(64).Where(c => !char.IsControl(c))) + "..." : key;
}
