using System.CommandLine;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Options;

/// <summary>
/// The flags of <c>mnist-rnn train</c>, their defaults (the library's), and how they become <see cref="TrainingOptions"/>.
/// Each training setting is one row of <see cref="_settings"/>: its option, the property it sets and how; adding, reading,
/// recipes, resume checks, <c>compare</c>'s run specs and the flag names in library messages all follow from that row.
/// </summary>
internal sealed class TrainFlags
{
    private static readonly TrainingOptions Defaults = new();

    /// <summary>
    /// One training setting: the flag, the <see cref="TrainingOptions"/> property it sets, how it sets it from what was
    /// typed, and the value it has in some options as the flag would take it (for --print-config).
    /// </summary>
    private sealed record Setting(Option Option, string Property, Func<ParseResult, TrainingOptions, TrainingOptions> Apply,
        Func<TrainingOptions, object?> Value, bool InRunSpecs = true);

    private const string WarmupFlag = "--warmup";
    private readonly Option<int> _warmup = new(WarmupFlag) { Description = "Warm-up steps of the cosine schedule.", DefaultValueFactory = _ => 0 };
    private readonly Option<string?> _recipe = new("--recipe")
    {
        Description = "Start from measured settings: fast (the experiment's accuracy in the least training time) or best (the highest accuracy " +
            "found, at many times the training time); flags you give override them. docs/performance.md has their figures.",
        HelpName = "fast|best",
    };
    private readonly Setting[] _settings;
    private readonly Dictionary<string, string> _flagOf = [];

    public readonly Option<string?> Data = DataFolder.CreateOption();
    public readonly Option<string?> Summary = new("--summary") { Description = "Write a JSON summary of the run to this file." };
    public readonly Option<string?> Out = new("--out")
    {
        Description = "Checkpoint folder; it must be new or empty [default: runs/CELL-YYYYMMDD-HHMMSS, or the --resume folder].",
    };
    public readonly Option<int> Keep = new("--keep") { Description = "Keep the newest K checkpoints.", DefaultValueFactory = _ => CheckpointStore.DefaultKeep };
    public readonly Option<bool> KeepBest = new("--keep-best")
    {
        Description = "Keep the checkpoint of the best validation as checkpoint-best.ckpt (never pruned by --keep), and evaluate the best weights " +
            "on the test set; needs --validation.",
    };
    public readonly Option<int> Validation = new("--validation")
    {
        Description = "Hold out N training images (drawn with --seed) to validate on; 5000 gives the original experiment's 55,000/5,000 split. 0: none.",
        DefaultValueFactory = _ => 0,
    };
    private readonly Option<string?> _config = new("--config")
    {
        Description = "Read settings from this JSON file (keys are these flags' names without dashes, as --print-config writes them); " +
            "flags typed beside it override it, and it overrides --recipe.",
    };
    public readonly Option<bool> PrintConfig = new("--print-config")
    {
        Description = "Print the complete settings this command would train with, as a file --config reads, and exit without training.",
    };
    public readonly Option<string?> Resume = new("--resume")
    {
        Description = "Continue the run saved in this checkpoint file, or in the newest checkpoint of this folder; its settings apply, --steps may extend it.",
    };
    public readonly Option<string?> LogDir = new("--logdir")
    {
        Description = "Write TensorBoard event files into this folder: scalars every step, weight and gradient histograms on logged steps.",
    };

    public TrainFlags()
    {
        Setting Choice<T>(string name, string noun, string property, string description, (string Name, T Value)[] choices, T defaultValue,
            Func<TrainingOptions, T, TrainingOptions> apply, Func<TrainingOptions, T> value) where T : struct
        {
            var option = ChoiceOption.Create(name, noun, description, choices, defaultValue);
            return new Setting(option, property, (parse, options) => apply(options, parse.GetValue(option)), o => ChoiceOption.NameOf(choices, value(o)));
        }
        Setting Value<T>(Option<T> option, string property, Func<TrainingOptions, T, TrainingOptions> apply, Func<TrainingOptions, object?> value,
            bool inRunSpecs = true) =>
            new(option, property, (parse, options) => apply(options, parse.GetValue(option)!), value, inRunSpecs);
        Option<int> Int(string name, string description, int defaultValue) => new(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        var device = DeviceOption.Create();
        var stepMode = DeviceOption.CreateStepMode();

        _settings =
        [
            Choice("--model", "cell", nameof(TrainingOptions.Cell), "Recurrent cell: rnn (tanh), lstm, gru or irnn (ReLU RNN with identity-initialised recurrence).",
                ChoiceOption.Cells, Defaults.Cell, (o, v) => o with { Cell = v }, o => o.Cell),
            Choice("--order", "order", nameof(TrainingOptions.Order),
                "How an image becomes a sequence: rows (28 steps of 28 pixels), pixels (784 steps of 1) or permuted (784 steps in a fixed random order).",
                ChoiceOption.Orders, Defaults.Order, (o, v) => o with { Order = v }, o => o.Order),
            Value(Int("--steps", "Training steps (mini-batches).", Defaults.Steps), nameof(TrainingOptions.Steps), (o, v) => o with { Steps = v }, o => o.Steps),
            Value(Int("--batch-size", "Sequences per mini-batch.", Defaults.BatchSize), nameof(TrainingOptions.BatchSize), (o, v) => o with { BatchSize = v }, o => o.BatchSize),
            Value(DecimalOption.Create("--lr", "Adam learning rate (the peak of a schedule).", Defaults.LearningRate), nameof(TrainingOptions.LearningRate),
                (o, v) => o with { LearningRate = v }, o => o.LearningRate),
            new(_schedule, nameof(TrainingOptions.Schedule), ReadSchedule, o => ScheduleName(o.Schedule)),
            new(_warmup, nameof(TrainingOptions.Schedule), ReadSchedule, o => o.Schedule.IsCosine ? o.Schedule.WarmupSteps : null),
            // 0 is the command line's way to say "off"; negative values stay to be rejected by the options' checks.
            Value(DecimalOption.Create("--clip-norm", "Rescale gradients whose global L2 norm exceeds this; 0 turns norm clipping off.", Defaults.ClipNorm ?? 0),
                nameof(TrainingOptions.ClipNorm), (o, v) => o with { ClipNorm = v == 0 ? null : v }, o => o.ClipNorm ?? 0),
            Value(DecimalOption.Create("--clip-value", "Clamp each gradient element to [-v, v] after norm clipping; 0 turns it off.", Defaults.ClipValue ?? 0),
                nameof(TrainingOptions.ClipValue), (o, v) => o with { ClipValue = v == 0 ? null : v }, o => o.ClipValue ?? 0),
            Value(Int("--hidden", "Hidden state width.", Defaults.HiddenSize), nameof(TrainingOptions.HiddenSize), (o, v) => o with { HiddenSize = v }, o => o.HiddenSize),
            Value(Int("--layers", "Stacked recurrent layers.", Defaults.Layers), nameof(TrainingOptions.Layers), (o, v) => o with { Layers = v }, o => o.Layers),
            Value(new Option<bool>("--bidirectional") { Description = "Read each sequence in both directions in every layer." },
                nameof(TrainingOptions.Bidirectional), (o, v) => o with { Bidirectional = v }, o => o.Bidirectional),
            Value(DecimalOption.Create("--dropout", "Dropout between recurrent layers while training (needs --layers 2 or more).", Defaults.Dropout),
                nameof(TrainingOptions.Dropout), (o, v) => o with { Dropout = v }, o => o.Dropout),
            Value(DecimalOption.Create("--weight-decay", "Decoupled weight decay, as AdamW's; 0 is plain Adam.", Defaults.WeightDecay),
                nameof(TrainingOptions.WeightDecay), (o, v) => o with { WeightDecay = v }, o => o.WeightDecay),
            Value(new Option<long>("--seed") { Description = "Seed for initial weights, batch order and the validation hold-out.", DefaultValueFactory = _ => Defaults.Seed },
                nameof(TrainingOptions.Seed), (o, v) => o with { Seed = v }, o => o.Seed),
            Value(Int("--validate-every", "Evaluate the validation images every N steps (and after the last).", Defaults.ValidateEvery),
                nameof(TrainingOptions.ValidateEvery), (o, v) => o with { ValidateEvery = v }, o => o.ValidateEvery),
            Value(new Option<int?>("--early-stop") { Description = "Stop when P validations in a row have not improved on the best; needs --validation.", HelpName = "P" },
                nameof(TrainingOptions.EarlyStopPatience), (o, v) => o with { EarlyStopPatience = v, RestoreBestWeights = o.RestoreBestWeights || v is not null },
                o => o.EarlyStopPatience),
            Value(DecimalOption.Create("--min-delta", "How much the monitored figure must improve on the best to count as an improvement.", Defaults.MinDelta),
                nameof(TrainingOptions.MinDelta), (o, v) => o with { MinDelta = v }, o => o.MinDelta),
            Choice("--monitor", "metric", nameof(TrainingOptions.Monitor), "The validation figure that decides the best weights and early stopping.",
                ChoiceOption.Metrics, ValidationMetric.Loss, (o, v) => o with { Monitor = v }, o => o.Monitor),
            new(device, nameof(TrainingOptions.Device), (p, o) => o with { Device = p.GetValue(device) }, o => ChoiceOption.NameOf(ChoiceOption.Devices, o.Device),
                InRunSpecs: false),
            new(stepMode, nameof(TrainingOptions.StepExecution), (p, o) => o with { StepExecution = p.GetValue(stepMode) },
                o => ChoiceOption.NameOf(ChoiceOption.StepModes, o.StepExecution), InRunSpecs: false),
            Value(new Option<int?>("--log-every")
                {
                    Description = "Log every N steps [default: every 100 steps to 1500, then every 1000, as the original experiment].",
                }, nameof(TrainingOptions.LogCadence), (o, v) => o with { LogCadence = v is int every ? LogCadence.EveryNSteps(every) : LogCadence.Experiment },
                o => o.LogCadence.Every, inRunSpecs: false),
            Value(Int("--stall-window", "Warn once when the loss stays near chance for this many steps; 0 turns the check off.", Defaults.StallWindow),
                nameof(TrainingOptions.StallWindow), (o, v) => o with { StallWindow = v }, o => o.StallWindow, inRunSpecs: false),
            Value(Int("--max-nonfinite", "Stop after this many consecutive steps with a non-finite loss or gradient (their updates are skipped).",
                Defaults.MaxNonFiniteSteps), nameof(TrainingOptions.MaxNonFiniteSteps), (o, v) => o with { MaxNonFiniteSteps = v }, o => o.MaxNonFiniteSteps,
                inRunSpecs: false),
            Value(DecimalOption.Create("--ema", "Keep an exponential moving average of the weights with this decay (0.99 to 0.9999) and validate, " +
                    "evaluate and export the average; 0 keeps none.", Defaults.EmaDecay ?? 0),
                nameof(TrainingOptions.EmaDecay), (o, v) => o with { EmaDecay = v == 0 ? null : v }, o => o.EmaDecay ?? 0),
            Value(Int("--accumulate", "Sum the gradients of K mini-batches into each optimizer step, as one batch K times as large.",
                Defaults.AccumulateBatches), nameof(TrainingOptions.AccumulateBatches), (o, v) => o with { AccumulateBatches = v }, o => o.AccumulateBatches),
            Choice("--precision", "precision", nameof(TrainingOptions.Precision),
                "Number format of the forward and backward passes: 32 (float32), bf16-mixed (bfloat16, with float32 weights, optimizer, loss and validation), " +
                "or auto (bf16-mixed where a measurement at the start finds it at least 1.2x faster on this machine; the summary says why).",
                ChoiceOption.Precisions, Defaults.Precision, (o, v) => o with { Precision = v }, o => o.Precision),
            Value(MaxTimeOption.Create(), nameof(TrainingOptions.MaxTime), (o, v) => o with { MaxTime = v }, o => MaxTimeOption.Format(o.MaxTime),
                inRunSpecs: false),
            Value(Int("--checkpoint-every", "Write a checkpoint every N steps (and always after the last step and on Ctrl+C); 0 writes only those.",
                Defaults.CheckpointEvery), nameof(TrainingOptions.CheckpointEvery), (o, v) => o with { CheckpointEvery = v }, o => o.CheckpointEvery,
                inRunSpecs: false),
        ];
        foreach (var setting in _settings) _flagOf.TryAdd(setting.Property, setting.Option.Name);
        _flagOf[nameof(TrainingOptions.Schedule)] = "--schedule";
        _flagOf[nameof(TrainingOptions.RestoreBestWeights)] = "--keep-best";
    }

    private readonly Option<ScheduleKind> _schedule = ChoiceOption.Create("--schedule", "schedule",
        "Learning-rate schedule: constant; cosine (linear warm-up over --warmup steps, then cosine decay to 0); one-cycle (TorchSharp's " +
        "OneCycleLR over the run); or plateau (cut the rate tenfold after 2 validations without a lower validation loss; needs --validation). " +
        "--lr is the peak.", ChoiceOption.Schedules, ScheduleKind.Constant);

    // --schedule and --warmup together make the schedule; either one typed reads both.
    private TrainingOptions ReadSchedule(ParseResult parse, TrainingOptions options)
    {
        int warmup = parse.GetValue(_warmup);
        if (warmup < 0) throw new UserErrorException(ExitCodes.InvalidArguments, $"--warmup must not be negative, got {warmup}.");
        var kind = Typed(parse, _schedule) ? parse.GetValue(_schedule) : options.Schedule.Kind;
        var schedule = kind switch
        {
            ScheduleKind.Cosine => LearningRateSchedule.Cosine(Typed(parse, _warmup) ? warmup : options.Schedule.WarmupSteps),
            ScheduleKind.OneCycle => LearningRateSchedule.OneCycle,
            ScheduleKind.ReduceOnPlateau => LearningRateSchedule.ReduceOnPlateau(),
            _ => LearningRateSchedule.Constant,
        };
        if (Typed(parse, _warmup) && !schedule.IsCosine)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--warmup applies to --schedule cosine, not {ChoiceOption.NameOf(ChoiceOption.Schedules, kind)}.");
        return options with { Schedule = schedule };
    }

    private static string ScheduleName(LearningRateSchedule schedule) => ChoiceOption.NameOf(ChoiceOption.Schedules, schedule.Kind);

    /// <summary>The flag that sets the <see cref="TrainingOptions"/> property <paramref name="property"/> (what the library's exceptions and log lines name).</summary>
    public string FlagOf(string property) => _flagOf.TryGetValue(property, out string? flag) ? flag : $"TrainingOptions.{property}";

    /// <summary>Adds every flag to <c>train</c>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_config);
        command.Options.Add(PrintConfig);
        command.Options.Add(_recipe);
        foreach (var setting in _settings) command.Options.Add(setting.Option);
        foreach (var option in new Option[] { Data, Validation, Out, Keep, KeepBest, Resume, Summary, LogDir }) command.Options.Add(option);
    }

    /// <summary>
    /// Adds the flags <c>compare</c> shares: every setting but --model, which its runs name, and --data, --validation and
    /// --logdir; not --summary, which its report replaces, nor the checkpoint flags, since its runs are not resumable.
    /// </summary>
    public void AddSharedTo(Command command)
    {
        foreach (var setting in _settings.Where(s => s.Property != nameof(TrainingOptions.Cell))) command.Options.Add(setting.Option);
        foreach (var option in new Option[] { Data, Validation, LogDir }) command.Options.Add(option);
    }

    /// <summary>The flag names a <c>compare</c> run spec may set, without their dashes.</summary>
    public IEnumerable<string> RunSpecKeys => _settings.Where(s => s.InRunSpecs).Select(s => s.Option.Name[2..]);

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
        var settings = _settings.Where(s => s.InRunSpecs).ToArray();
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
            $"--max-time {MaxTimeOption.Format((TimeSpan)problem.Given!)}: the run has already trained {MaxTimeOption.Format((TimeSpan)problem.Saved!)}; " +
            "give a larger --max-time to train further."),
        { Kind: ResumeProblemKind.CheckpointContradictsItself } => new(ExitCodes.BadCheckpoint,
            $"--resume: {checkpoint.Path} asks for early stopping, the best weights or a plateau schedule, which read the validation loss, " +
            "but its run held out no validation images; the checkpoint contradicts itself, so start a new run."),
        _ => new(ExitCodes.BadCheckpoint, $"--resume: {checkpoint.Path}: {problem.Message}"),
    };

    // A setting's value as its flag takes it (bf16-mixed, not Bf16Mixed); 0 where the flag turns it off.
    private string AsTyped(string property, TrainingOptions options) =>
        (_settings.FirstOrDefault(s => s.Property == property) is { } setting ? setting.Value(options) : typeof(TrainingOptions).GetProperty(property)?.GetValue(options))?.ToString() ?? "0";

    /// <summary>What train runs: the training options, the images held out to validate on (0: none) and whether the best checkpoint is kept.</summary>
    public sealed record TrainRun(TrainingOptions Options, int Validation, bool KeepBest);

    private static TrainingOptions ApplyTyped(ParseResult parse, TrainingOptions start, IEnumerable<Setting> settings) =>
        settings.Where(s => Typed(parse, s.Option))
            .Aggregate(start, (options, setting) => setting.Apply(parse, options));

    // Every way in ends here, so this is where --threads, a flag of every command rather than a training setting, joins the options.
    private TrainingOptions Validated(TrainingOptions options)
    {
        options = options with { Threads = ThreadsOption.Given };
        var problem = options.Problems().FirstOrDefault();
        if (problem is null) return options;
        // The schedule's only problem of its own is a warm-up longer than the run, which --warmup sets.
        string flag = problem.Property == nameof(TrainingOptions.Schedule) ? WarmupFlag : FlagOf(problem.Property);
        throw new UserErrorException(ExitCodes.InvalidArguments, $"{flag} {problem.Message}");
    }

    private static bool Typed(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
