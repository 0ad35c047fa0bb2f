using System.Text.Json;

namespace MnistRnn.Runner;

/// <summary>The JSON files the runner writes for scripts (--summary, bench --json): snake_case, indented, never half-written.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> through a temporary file, so a reader never sees half of it.</summary>
    /// <exception cref="UserErrorException">The file cannot be written (exit 5); the message names <paramref name="flag"/>.</exception>
    public static void Write<T>(string path, T value, string flag)
    {
        string temporary = path + ".tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(value, Json) + Environment.NewLine);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"{flag}: cannot write {path} ({e.Message}).");
        }
    }
}
