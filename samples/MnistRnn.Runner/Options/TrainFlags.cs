using System.CommandLine;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Options;

/// <summary>
/// The flags of <c>mnist-rnn train</c>, their defaults (the library's), and how they become <see cref="TrainingOptions"/>.
/// Each training setting's flag comes from its declaration on <see cref="TrainingOptions"/> (<see cref="SettingFlag"/>);
/// reading, recipes, config files, resume checks, <c>compare</c>'s run specs and the flag names in library messages all
/// follow from that list.
/// </summary>
internal sealed class TrainFlags
{
    private static readonly TrainingOptions Defaults = new();

    private readonly Option<string?> _recipe = new("--recipe")
    {
        Description = "Start from measured settings: fast (the experiment's accuracy in the least training time) or best (the highest accuracy " +
            "found, at many times the training time); flags you give override them. docs/performance.md has their figures.",
        HelpName = "fast|best",
    };
    private readonly SettingFlag[] _settings = [.. TrainingSetting.All.SelectMany(SettingFlag.For)];
    private readonly Dictionary<string, string> _flagOf = [];

    public readonly Option<string?> Data = DataFolder.CreateOption();
    public readonly Option<string?> Summary = new("--summary") { HelpName = "PATH", Description = "Write a JSON summary of the run to this file." };
    public readonly Option<string?> Metrics = new("--metrics")
    { HelpName = "DIR",
        Description = "Write every step's metrics (metrics.csv, metrics.jsonl), the validations (validation.csv), dLoss/dh_t before and after " +
            "training (gradient-flow.csv) and the final hidden states of 1,000 test images (hidden-state.csv) into this folder; it must be new or empty.",
    };
    public readonly Option<string?> Out = new("--out")
    { HelpName = "DIR",
        Description = "Checkpoint folder; it must be new or empty [default: runs/CELL-YYYYMMDD-HHMMSS, or the --resume folder].",
    };
    public readonly Option<int> Keep = new("--keep") { HelpName = "K", Description = "Keep the newest K checkpoints.", DefaultValueFactory = _ => CheckpointStore.DefaultKeep };
    public readonly Option<bool> KeepBest = new("--keep-best")
    {
        Description = "Keep the checkpoint of the best validation as checkpoint-best.ckpt (never pruned by --keep), and evaluate the best weights " +
            "on the test set; needs --validation.",
    };
    public readonly Option<int> Validation = new("--validation")
    { HelpName = "N",
        Description = "Hold out N training images (drawn with --seed) to validate on; 5000 gives the original experiment's 55,000/5,000 split. 0: none.",
        DefaultValueFactory = _ => 0,
    };
    private readonly Option<string?> _config = new("--config")
    { HelpName = "FILE.json",
        Description = "Read settings from this JSON file (keys are these flags' names without dashes, as --print-config writes them); " +
            "flags typed beside it override it, and it overrides --recipe.",
    };
    public readonly Option<bool> PrintConfig = new("--print-config")
    {
        Description = "Print the complete settings this command would train with, as a file --config reads, and exit without training.",
    };
    public readonly Option<string?> Resume = new("--resume")
    { HelpName = "FILE|DIR",
        Description = "Continue the run saved in this checkpoint file, or in the newest checkpoint of this folder; its settings apply, --steps may extend it.",
    };
    public readonly Option<string?> LogDir = new("--logdir")
    { HelpName = "DIR",
        Description = "Write TensorBoard event files into this folder: scalars every step, weight and gradient histograms on logged steps.",
    };

    public TrainFlags()
    {
        foreach (var setting in _settings) _flagOf.TryAdd(setting.Setting.Property, setting.Name);
        // Settings without a flag of their own, named by the flag that sets them.
        _flagOf[nameof(TrainingOptions.RestoreBestWeights)] = KeepBest.Name;
        _flagOf[nameof(TrainingOptions.Threads)] = ThreadsOption.Option.Name;
    }

    /// <summary>The flag that sets the <see cref="TrainingOptions"/> property <paramref name="property"/> (what the library's exceptions and log lines name).</summary>
    public string FlagOf(string property) => _flagOf.TryGetValue(property, out string? flag) ? flag : $"TrainingOptions.{property}";

    /// <summary>
    /// The default of one of train's options as its flag takes it: a setting's from the library's defaults, another's from
    /// the option; null when it has none.
    /// </summary>
    public object? DefaultOf(Option option) =>
        _settings.FirstOrDefault(s => s.Option == option) is { } setting ? setting.Value(Defaults)
        : option.ValueType == typeof(bool) ? false
        : option.HasDefaultValue ? option.GetDefaultValue()
        : null;

    /// <summary>Adds every flag to <c>train</c>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_config);
        command.Options.Add(PrintConfig);
        command.Options.Add(_recipe);
        foreach (var setting in _settings) command.Options.Add(setting.Option);
        foreach (var option in new Option[] { Data, Validation, Out, Keep, KeepBest, Resume, Summary, Metrics, LogDir }) command.Options.Add(option);
    }

    /// <summary>
    /// Adds the flags <c>compare</c> shares: every setting but --model, which its runs name, and --data, --validation and
    /// --logdir; not --summary, --metrics nor the checkpoint flags, which each run's trial folder has its own of.
    /// </summary>
    public void AddSharedTo(Command command)
    {
        foreach (var setting in _settings.Where(s => s.Setting.Property != nameof(TrainingOptions.Cell))) command.Options.Add(setting.Option);
        foreach (var option in new Option[] { Data, Validation, LogDir }) command.Options.Add(option);
    }

    /// <summary>The flag names a <c>compare</c> run spec may set, without their dashes.</summary>
    public IEnumerable<string> RunSpecKeys => _settings.Where(s => s.Setting.PerRun).Select(s => s.Name[2..]);

    /// <summary>The training options the user typed over the library's defaults, validated (compare's shared settings).</summary>
    /// <exception cref="UserErrorException">A value is invalid; the message names its flag.</exception>
    public TrainingOptions ReadOptions(ParseResult parse) => Validated(ApplyTyped(parse, Defaults, _settings));

    /// <summary>
    /// What train runs with, layered: the library's defaults, then the recipe (named by --recipe or the config file), then the
    /// --config file, then the flags typed; validated.
    /// </summary>
    /// <exception cref="UserErrorException">A value or the config file is invalid; the message names its flag or key and file.</exception>
    public TrainRun ReadRun(ParseResult parse)
    {
        ParseResult? config = null;
        if (parse.GetValue(_config) is { } path)
        {
            var keys = ConfigKeys.ToHashSet();
            config = ParsePairs(TrainConfigFile.Read(path, keys), [.. _settings.Select(s => s.Option), _recipe, Validation, KeepBest],
                problem => $"--config: in {path}, {problem}");
        }
        T Layered<T>(Option<T> option) => Typed(parse, option) || config is null ? parse.GetValue(option)! : config.GetValue(option)!;
        var start = Defaults;
        if (Layered(_recipe) is { } recipeName)
            start = TrainingRecipes.Named(recipeName) ?? throw new UserErrorException(ExitCodes.InvalidArguments, $"--recipe: unknown recipe '{recipeName}'; use fast or best.");
        var options = config is null ? start : ApplyTyped(config, start, _settings);
        options = ApplyTyped(parse, options, _settings);
        bool keepBest = Layered(KeepBest);
        if (keepBest) options = options with { RestoreBestWeights = true };
        return new TrainRun(Validated(options), Layered(Validation), keepBest);
    }

    /// <summary>The keys a config file may hold: every training flag's name, the recipe, the hold-out and the best checkpoint.</summary>
    public IEnumerable<string> ConfigKeys => _settings.Select(s => s.Option.Name).Concat([_recipe.Name, Validation.Name, KeepBest.Name]).Select(n => n[2..]);

    /// <summary>
    /// What <c>train</c> would run if <paramref name="words"/> (train's flags, <c>--config FILE --lr 0.005</c>) were typed after it:
    /// the same parsers, layering and checks.
    /// </summary>
    /// <exception cref="UserErrorException">A word does not parse or a value is invalid; the message names its flag.</exception>
    public TrainRun ReadRunFrom(IReadOnlyList<string> words) => ReadRun(ParseWords(words));

    /// <summary>
    /// Checks that <paramref name="words"/> parse as train's flags (each value by its flag's own parser), without checking
    /// the run they make, which may need other words beside them.
    /// </summary>
    /// <exception cref="UserErrorException">A word does not parse; the message names its flag.</exception>
    public void CheckParses(IReadOnlyList<string> words) => ParseWords(words);

    private ParseResult ParseWords(IReadOnlyList<string> words)
    {
        var command = new Command("train");
        AddTo(command);
        var parse = command.Parse(words.ToArray());
        if (parse.Errors.Count > 0) throw new UserErrorException(ExitCodes.InvalidArguments, parse.Errors[0].Message);
        return parse;
    }

    /// <summary><paramref name="run"/> as a config file that <c>--config</c> reads back to the same run.</summary>
    public string ToConfig(TrainRun run) => TrainConfigFile.Write(
        _settings.Select(s => (s.Option.Name[2..], s.Value(run.Options)))
            .Concat([(Validation.Name[2..], (object?)run.Validation), (KeepBest.Name[2..], run.KeepBest)])
            .DistinctBy(pair => pair.Item1));

    /// <summary><paramref name="shared"/> with the settings of a <c>compare</c> run spec's <c>key=value</c> pairs, validated.</summary>
    /// <exception cref="UserErrorException">A key is not a run-spec setting or a value is invalid.</exception>
    public TrainingOptions ApplyRunSpec(TrainingOptions shared, IReadOnlyList<(string Key, string Value)> pairs)
    {
        var settings = _settings.Where(s => s.Setting.PerRun).ToArray();
        return Validated(ApplyTyped(ParsePairs(pairs, settings.Select(s => s.Option).ToArray(), problem => problem), shared, settings));
    }

    // key=value pairs (a run spec's, a config file's) read by the flags' own parsers, as if "--key value" had been typed.
    private static ParseResult ParsePairs(IReadOnlyList<(string Key, string Value)> pairs, Option[] options, Func<string, string> problemIn)
    {
        var command = new Command("settings");
        foreach (var option in options) command.Options.Add(option);
        try
        {
            var parse = command.Parse(pairs.SelectMany(p => new[] { $"--{p.Key}", p.Value }).ToArray());
            if (parse.Errors.Count > 0) throw new UserErrorException(ExitCodes.InvalidArguments, problemIn(parse.Errors[0].Message));
            return parse;
        }
        finally
        {
            // The options belong to train's or compare's command too; the pairs borrow them only while they are read.
            foreach (var option in options) command.Options.Remove(option);
        }
    }

    /// <summary>
    /// The options of a resumed run: the checkpoint's, with what was typed applied over them, checked by the library's one
    /// resume check (<see cref="CheckpointResume.Problems"/>), whose first problem becomes one sentence naming its flag.
    /// </summary>
    /// <exception cref="UserErrorException">
    /// A typed flag contradicts the checkpoint, --steps or --max-time leaves nothing to do (exit 2), or the checkpoint's run is
    /// finished or contradicts itself (exit 6).
    /// </exception>
    public TrainingOptions ResumeOptions(ParseResult parse, Checkpoint checkpoint)
    {
        var options = ApplyTyped(parse, checkpoint.Info.Options, _settings);
        if (parse.GetValue(KeepBest)) options = options with { RestoreBestWeights = true };
        if (CheckpointResume.Problems(options, checkpoint).FirstOrDefault() is { } problem) throw ResumeRefused(problem, options, checkpoint);
        return Validated(options);
    }

    private UserErrorException ResumeRefused(ResumeProblem problem, TrainingOptions options, Checkpoint checkpoint) => problem switch
    {
        { Kind: ResumeProblemKind.SettingChanged } => new(ExitCodes.InvalidArguments,
            $"{FlagOf(problem.Setting!)} {AsTyped(problem.Setting!, options)} contradicts the checkpoint's {AsTyped(problem.Setting!, checkpoint.Info.Options)}; " +
            "a resumed run keeps its settings, so drop the flag or start a new run."),
        { Kind: ResumeProblemKind.NothingToTrain, Setting: nameof(TrainingOptions.Steps) } => new(ExitCodes.InvalidArguments,
            $"--steps {problem.Given}: the checkpoint is already at step {problem.Saved}; give a larger --steps to train further."),
        { Kind: ResumeProblemKind.NothingToTrain } => new(ExitCodes.InvalidArguments,
            $"{FlagOf(problem.Setting!)} {DurationOption.Format((TimeSpan)problem.Given!)}: the run has already trained {DurationOption.Format((TimeSpan)problem.Saved!)}; " +
            $"give a larger {FlagOf(problem.Setting!)} to train further."),
        { Kind: ResumeProblemKind.CheckpointContradictsItself } => new(ExitCodes.BadCheckpoint,
            $"--resume: {checkpoint.Path} asks for early stopping, the best weights or a plateau schedule, which read the validation loss, " +
            "but its run held out no validation images; the checkpoint contradicts itself, so start a new run."),
        _ => new(ExitCodes.BadCheckpoint, $"--resume: {checkpoint.Path}: {problem.Message}"),
    };

    // A setting's value as its flag takes it (bf16-mixed, not Bf16Mixed); 0 where the flag turns it off.
    private string AsTyped(string property, TrainingOptions options) =>
        (_settings.FirstOrDefault(s => s.Setting.Property == property) is { } setting ? setting.Value(options) : TrainingSetting.Of(property)?.ValueIn(options))?.ToString() ?? "0";

    /// <summary>What train runs: the training options, the images held out to validate on (0: none) and whether the best checkpoint is kept.</summary>
    public sealed record TrainRun(TrainingOptions Options, int Validation, bool KeepBest);

    private static TrainingOptions ApplyTyped(ParseResult parse, TrainingOptions start, IEnumerable<SettingFlag> settings)
    {
        var options = settings.Where(s => Typed(parse, s.Option)).Aggregate(start, (options, setting) => setting.Apply(parse, options));
        // Early stopping on the command line evaluates the best weights, as Keras's restore_best_weights.
        return options.EarlyStopPatience is not null && settings.Any(s => s.Setting.Property == nameof(TrainingOptions.EarlyStopPatience) && Typed(parse, s.Option))
            ? options with { RestoreBestWeights = true }
            : options;
    }

    // Every way in ends here, so this is where --threads, a flag of every command rather than a training setting, joins the options.
    private TrainingOptions Validated(TrainingOptions options)
    {
        options = options with { Threads = ThreadsOption.Given };
        var problem = options.Problems().FirstOrDefault();
        if (problem is null) return options;
        // The schedule's only problem of its own is a warm-up longer than the run, which --warmup sets.
        string flag = problem.Property == nameof(TrainingOptions.Schedule) ? ScheduleFlags.WarmupFlag : FlagOf(problem.Property);
        throw new UserErrorException(ExitCodes.InvalidArguments, $"{flag} {problem.Message}");
    }

    private static bool Typed(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
