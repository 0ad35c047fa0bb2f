using System.Text.Json;
using System.Text.Json.Serialization;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>
/// The run's settings as a checkpoint records them (its <c>run</c> object): each <see cref="TrainingSetting"/> with a
/// <see cref="SettingAttribute.FileKey"/>, under that key, so that renaming a property does not change the file format. A key
/// an older checkpoint lacks keeps the library's default; a key this version does not know is ignored.
/// </summary>
internal static class RunSettings
{
    private static readonly TrainingSetting[] Recorded = [.. TrainingSetting.All.Where(s => s.FileKey is not null)];

    // The header's conventions, and a time budget as a number of seconds.
    private static readonly JsonSerializerOptions Json = new(CheckpointFile.Json) { Converters = { new SecondsConverter() } };

    public static Dictionary<string, JsonElement> From(TrainingOptions options) =>
        Recorded.ToDictionary(s => s.FileKey!, s => JsonSerializer.SerializeToElement(s.ValueIn(options), s.Type, Json));

    /// <summary>The options <paramref name="run"/> describes; the caller checks them with <see cref="TrainingOptions.Problems"/>.</summary>
    /// <exception cref="FormatException">A value is not of its setting's type, or null where the setting takes none.</exception>
    public static TrainingOptions ToOptions(IReadOnlyDictionary<string, JsonElement> run)
    {
        var options = new TrainingOptions();
        foreach (var setting in Recorded)
        {
            if (!run.TryGetValue(setting.FileKey!, out var element)) continue;
            object? value;
            try
            {
                value = element.Deserialize(setting.Type, Json);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new FormatException($"{setting.FileKey}: {e.Message.Split('\n')[0].TrimEnd('.')}");
            }
            if (value is null && setting.Type.IsValueType && Nullable.GetUnderlyingType(setting.Type) is null)
                throw new FormatException($"{setting.FileKey} is null");
            options = setting.With(options, value);
        }
        // A run records the precision it trained in, never Auto, which decides one.
        if (options.Precision is Precision.Auto) throw new FormatException("the precision is auto, which no run trains in");
        return options;
    }

    private sealed class SecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            double seconds = reader.GetDouble();
            return seconds is >= 0 and <= TrainingOptions.MaxTimeLimitSeconds ? TimeSpan.FromSeconds(seconds) : throw new JsonException($"a time budget of {seconds} s");
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) => writer.WriteNumberValue(value.TotalSeconds);
    }
}
