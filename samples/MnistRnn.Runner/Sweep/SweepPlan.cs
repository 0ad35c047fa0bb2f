using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MnistRnn.IO;
using MnistRnn.Models;
using MnistRnn.Performance;
using MnistRnn.Runner.Compare;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// What a sweep trains: every configuration (a base config, times the <c>--runs</c> given, times each <c>--vary</c> axis,
/// first axis outermost) with every seed (innermost), numbered in that order from 0, so the same command always gives the
/// same numbers. Each trial's settings are made by <c>train</c>'s own flags, so a value train refuses is refused here.
/// Stored as <c>plan.json</c> in the sweep's folder, which <c>--trial N</c>, workers and <c>report</c> read back.
/// </summary>
internal sealed class SweepPlan
{
    /// <summary>The plan file's layout version.</summary>
    public const int Format = 1;

    /// <summary>The most trials a plan file may hold, whatever <c>--yes</c> allows; bounds what a crafted plan makes this allocate.</summary>
    public const int MaxTrials = 100_000;

    private const long MaxFileBytes = 256L << 20;

    public SweepPlan(IReadOnlyList<SweepTrial> trials) => Trials = trials;

    public IReadOnlyList<SweepTrial> Trials { get; }

    /// <summary>The configurations' labels in plan order.</summary>
    public IReadOnlyList<string> Configurations => Trials.Select(t => t.Configuration).Distinct().ToList();

    /// <summary>The name of trial <paramref name="number"/>'s folder: zero-padded to one width, so folders sort in plan order.</summary>
    public string FolderName(int number) => number.ToString(CultureInfo.InvariantCulture).PadLeft(FolderNameWidth, '0');

    /// <summary>The digits of every trial folder's name (at least 4).</summary>
    public int FolderNameWidth => Math.Max(4, (Trials.Count - 1).ToString(CultureInfo.InvariantCulture).Length);

    /// <summary>
    /// The plan of <paramref name="baseConfig"/> (null: the defaults) with <paramref name="device"/> (null: the config's), times
    /// <paramref name="runs"/> (none: the base alone), times <paramref name="axes"/>, times <paramref name="seeds"/>; trials compute
    /// with <paramref name="threads"/> CPU threads unless an axis says otherwise.
    /// </summary>
    /// <exception cref="UserErrorException">A value or a combination is one train refuses; the message names the flag and trial (exit 2).</exception>
    public static SweepPlan Create(string? baseConfig, string? device, IReadOnlyList<RunSpec> runs, IReadOnlyList<SweepAxis> axes,
        IReadOnlyList<long> seeds, int threads)
    {
        // Checked: axes of thousands of values each multiply past 2^63, which would wrap to a count that passes the bound.
        long? count;
        try
        {
            count = checked(axes.Aggregate((long)Math.Max(1, runs.Count) * seeds.Count, (product, axis) => checked(product * axis.Values.Count)));
        }
        catch (OverflowException)
        {
            count = null;
        }
        if (count is not long trialCount || trialCount > MaxTrials)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"The plan would have {(count is long n ? n.ToString("N0", CultureInfo.InvariantCulture) : "more than 2^63")} trials, more than a sweep may hold ({MaxTrials:N0}); split it into several sweeps.");
        var shared = new List<string>();
        if (baseConfig is not null) shared.AddRange(["--config", baseConfig]);
        if (device is not null) shared.AddRange(["--device", device]);
        // The base first, then each run and axis value by its flag's own parser, so a bad value is named by its flag; a value
        // that is valid only beside others (dropout with layers) is judged in the trials that combine them.
        Settings(shared, "");
        foreach (var run in runs) Parses(Words(run), $"--runs {run.Label}: ");
        foreach (var axis in axes)
        {
            foreach (string value in axis.Values)
            {
                if (axis.Key == SweepAxis.ThreadsKey) ThreadCount(value);
                else Parses([$"--{axis.Key}", value], $"--vary {axis.Key}={value}: ");
            }
        }

        var trials = new List<SweepTrial>();
        var configurations = (runs.Count == 0 ? [null] : runs.Select(r => (RunSpec?)r))
            .Select(run => (Run: run, Values: new List<(string Key, string Value)>())).ToList();
        foreach (var axis in axes)
            configurations = configurations.SelectMany(c => axis.Values.Select(v => (c.Run, new List<(string Key, string Value)>(c.Values) { (axis.Key, v) }))).ToList();
        foreach (var (run, values) in configurations)
        {
            string label = string.Join(' ', (run is null ? [] : new[] { run.Label }).Concat(values.Select(v => $"{v.Key}={v.Value}")));
            if (label.Length == 0) label = baseConfig is null ? "defaults" : Path.GetFileNameWithoutExtension(baseConfig);
            var words = new List<string>(shared);
            if (run is not null) words.AddRange(Words(run));
            int trialThreads = threads;
            foreach (var (key, value) in values)
            {
                if (key == SweepAxis.ThreadsKey) trialThreads = ThreadCount(value);
                else words.AddRange([$"--{key}", value]);
            }
            foreach (long seed in seeds)
            {
                var settings = Settings([.. words, "--seed", seed.ToString(CultureInfo.InvariantCulture)], $"trial {trials.Count} ({label}, seed {seed}): ");
                trials.Add(new SweepTrial(trials.Count, label, seed, trialThreads, settings));
            }
        }
        // Two labels for one run (lr=0.01 and lr=0.010, lstm and LSTM) would train it twice and count it twice in a row's spread.
        var twice = trials.GroupBy(t => (t.Threads, Settings: t.Settings.ToJsonString())).FirstOrDefault(g => g.Count() > 1)?.Take(2).ToArray();
        if (twice is [var first, var second])
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"trials {first.Number} ({first.Configuration}) and {second.Number} ({second.Configuration}) are the same run with the same seed; " +
                "give each configuration once (a value written two ways, such as 0.01 and 0.010, is one value).");
        return new SweepPlan(trials);
    }

    private static string[] Words(RunSpec run) => ["--model", run.Model.ToName(), .. run.Settings.SelectMany(s => new[] { $"--{s.Key}", s.Value })];

    // What train would run with these words, as its config file.
    private static JsonObject Settings(IReadOnlyList<string> words, string where)
    {
        try
        {
            var flags = new TrainFlags();
            return (JsonObject)JsonNode.Parse(flags.ToConfig(flags.ReadRunFrom(words)))!;
        }
        catch (UserErrorException e)
        {
            throw new UserErrorException(e.ExitCode, where + e.Message);
        }
    }

    private static void Parses(IReadOnlyList<string> words, string where)
    {
        try
        {
            new TrainFlags().CheckParses(words);
        }
        catch (UserErrorException e)
        {
            throw new UserErrorException(e.ExitCode, where + e.Message);
        }
    }

    private static int ThreadCount(string value)
    {
        int logical = Environment.ProcessorCount;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int threads) || !TorchThreads.IsUsable(threads))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--vary threads={value}: a trial's threads must be a whole number from 1 to the {logical} logical cores of this machine.");
        return threads;
    }

    // plan.json: its format, then every trial.
    private sealed record PlanFile(int Format, IReadOnlyList<SweepTrial> Trials);

    // A field missing or null where the records have none is a file this did not write.
    private static readonly JsonSerializerOptions FileOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>The plan as its file's JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new PlanFile(Format, Trials), FileOptions) + Environment.NewLine;

    /// <summary>The first way <paramref name="other"/> differs from this plan, in a phrase; null when they are the same plan.</summary>
    public string? DifferenceFrom(SweepPlan other)
    {
        if (other.Trials.Count != Trials.Count) return $"{Trials.Count} trials there, {other.Trials.Count} here";
        foreach (var (mine, theirs) in Trials.Zip(other.Trials))
        {
            if (mine.Configuration != theirs.Configuration || mine.Seed != theirs.Seed)
                return $"trial {mine.Number} is {mine.Configuration} seed {mine.Seed} there, {theirs.Configuration} seed {theirs.Seed} here";
            if (mine.Threads != theirs.Threads) return $"trial {mine.Number} computes with {mine.Threads} threads there, {theirs.Threads} here";
            string? key = mine.Settings.Select(p => p.Key).Union(theirs.Settings.Select(p => p.Key))
                .FirstOrDefault(k => !JsonNode.DeepEquals(mine.Settings[k], theirs.Settings[k]));
            if (key is not null)
                return $"trial {mine.Number} has {key} {mine.Settings[key]?.ToJsonString() ?? "unset"} there, {theirs.Settings[key]?.ToJsonString() ?? "unset"} here";
        }
        return null;
    }

    /// <summary>Reads a plan file written by <see cref="ToJson"/>, checking its shape and bounds before anything is made of it.</summary>
    /// <exception cref="UserErrorException">It is missing, too large, or not a plan this version reads (exit 3).</exception>
    public static SweepPlan Read(string path)
    {
        PlanFile? plan;
        try
        {
            plan = JsonSerializer.Deserialize<PlanFile>(RegularFile.ReadAllBytes(path, MaxFileBytes, "sweep plan"), FileOptions);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or JsonException || FileErrors.Refused(e))
        {
            throw Unreadable(path, e is JsonException ? "it is not valid JSON, or lacks a field a plan has" : e.Message.TrimEnd('.'));
        }
        if (plan is null || plan.Format != Format) throw Unreadable(path, $"it is not a sweep plan of format {Format}");
        if (plan.Trials is not { Count: > 0 and <= MaxTrials } trials) throw Unreadable(path, $"it must list 1 to {MaxTrials:N0} trials");
        for (int i = 0; i < trials.Count; i++)
        {
            if (trials[i] is not { } trial || trial.Number != i || string.IsNullOrWhiteSpace(trial.Configuration) || trial.Threads is < 1 or > 4096)
                throw Unreadable(path, $"trial {i} is not a number, configuration, seed, thread count and settings in order");
        }
        return new SweepPlan(trials);
    }

    private static UserErrorException Unreadable(string path, string problem) =>
        new(ExitCodes.InvalidData, $"--out: cannot read the sweep plan {path} ({problem}); give the folder of a sweep, or a new folder to start one.");
}
