using System.Text.Json;
using System.Text.Json.Serialization;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>
/// How <see cref="RunSettings"/> records the settings that are not plain numbers: enums by their snake_case names, the
/// schedule by its kind and parameters, the log cadence as null (the experiment's) or its step count.
/// </summary>
internal static class RunSettingsConverters
{
    /// <summary>The converters the checkpoint header's serializer needs for <see cref="RunSettings"/>.</summary>
    public static readonly JsonConverter[] Converters =
    [
        new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false),
        new ScheduleConverter(),
        new LogCadenceConverter(),
    ];

    private sealed class ScheduleConverter : JsonConverter<LearningRateSchedule>
    {
        private sealed record Fields(ScheduleKind Kind, int WarmupSteps, double FinalFraction, double Factor, int Patience);

        // A null schedule would otherwise bypass the converter and reach the options as null.
        public override bool HandleNull => true;

        public override LearningRateSchedule Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) throw new JsonException("the schedule is null.");
            var fields = JsonSerializer.Deserialize<Fields>(ref reader, options) ?? throw new JsonException("the schedule is null.");
            try
            {
                return fields.Kind switch
                {
                    ScheduleKind.Constant => LearningRateSchedule.Constant,
                    ScheduleKind.Cosine => LearningRateSchedule.Cosine(fields.WarmupSteps, fields.FinalFraction),
                    ScheduleKind.OneCycle => LearningRateSchedule.OneCycle,
                    ScheduleKind.ReduceOnPlateau => LearningRateSchedule.ReduceOnPlateau(fields.Factor, fields.Patience),
                    _ => throw new JsonException($"unknown schedule {fields.Kind}."),
                };
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new JsonException($"the schedule's {e.ParamName} is out of range.");
            }
        }

        public override void Write(Utf8JsonWriter writer, LearningRateSchedule value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, new Fields(value.Kind, value.WarmupSteps, value.FinalFraction, value.Factor, value.Patience), options);
    }

    // The experiment's cadence as null, a fixed one as its step count.
    private sealed class LogCadenceConverter : JsonConverter<LogCadence>
    {
        public override bool HandleNull => true;

        public override LogCadence Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? LogCadence.Experiment
            : reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int every) ? LogCadence.EveryNSteps(every)
            : throw new JsonException("the log cadence must be null or a whole number of steps.");

        public override void Write(Utf8JsonWriter writer, LogCadence value, JsonSerializerOptions options)
        {
            if (value.Every is int every) writer.WriteNumberValue(every);
            else writer.WriteNullValue();
        }
    }
}
