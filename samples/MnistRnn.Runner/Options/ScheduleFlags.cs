using System.CommandLine;
using MnistRnn.Training;

namespace MnistRnn.Runner.Options;

/// <summary>
/// The schedule is typed as two flags, <c>--schedule KIND</c> and <c>--warmup N</c> (the cosine schedule's warm-up); either
/// one typed reads both, over the schedule the options already have.
/// </summary>
internal static class ScheduleFlags
{
    public const string WarmupFlag = "--warmup";

    public static IEnumerable<SettingFlag> For(TrainingSetting setting)
    {
        var kind = ChoiceOption.Create($"--{setting.Flag}", "schedule", setting.Help, ChoiceOption.Schedules, ScheduleKind.Constant);
        var warmup = new Option<int>(WarmupFlag) { Description = "Warm-up steps of the cosine schedule.", DefaultValueFactory = _ => 0 };
        TrainingOptions Read(ParseResult parse, TrainingOptions options) => setting.With(options, Schedule(parse, kind, warmup, options.Schedule));
        yield return new(kind, setting, Read, options => ChoiceOption.NameOf(ChoiceOption.Schedules, options.Schedule.Kind));
        yield return new(warmup, setting, Read, options => options.Schedule.IsCosine ? options.Schedule.WarmupSteps : null);
    }

    private static LearningRateSchedule Schedule(ParseResult parse, Option<ScheduleKind> kindOption, Option<int> warmupOption, LearningRateSchedule current)
    {
        bool warmupTyped = parse.GetResult(warmupOption) is { Implicit: false };
        int warmup = parse.GetValue(warmupOption);
        if (warmup < 0) throw new UserErrorException(ExitCodes.InvalidArguments, $"{WarmupFlag} must not be negative, got {warmup}.");
        var kind = parse.GetResult(kindOption) is { Implicit: false } ? parse.GetValue(kindOption) : current.Kind;
        var schedule = kind switch
        {
            ScheduleKind.Cosine => LearningRateSchedule.Cosine(warmupTyped ? warmup : current.WarmupSteps),
            ScheduleKind.OneCycle => LearningRateSchedule.OneCycle,
            ScheduleKind.ReduceOnPlateau => LearningRateSchedule.ReduceOnPlateau(),
            _ => LearningRateSchedule.Constant,
        };
        if (warmupTyped && !schedule.IsCosine)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"{WarmupFlag} applies to --schedule cosine, not {ChoiceOption.NameOf(ChoiceOption.Schedules, kind)}.");
        return schedule;
    }
}
