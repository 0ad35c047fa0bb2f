using MnistRnn.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MnistRnn.Runner.FileSystem;

/// <summary>The JSON files the runner writes for scripts (--summary, bench --json): snake_case, indented, never half-written.</summary>
internal static class JsonOutput
{
    /// <summary>The serializer options of every file this writes, for reading them back.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new NonFiniteAsNull() },
    };

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> whole or not at all (see <see cref="AtomicFile"/>).</summary>
    /// <exception cref="UserErrorException">The file cannot be written (exit 5); the message names <paramref name="flag"/>.</exception>
    public static void Write<T>(string path, T value, string flag)
    {
        try
        {
            AtomicFile.WriteAllText(path, Serialize(value) + Environment.NewLine);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            // The library's sentence names the file and what to do.
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"{flag}: {e.Message}");
        }
    }

    /// <summary><paramref name="value"/> as the runner's JSON.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    // JSON has no NaN or infinity, and a diverged run's loss is one of them: null says "no number", and reads back as NaN.
    private sealed class NonFiniteAsNull : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
