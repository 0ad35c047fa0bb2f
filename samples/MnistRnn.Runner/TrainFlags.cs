using System.CommandLine;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner;

/// <summary>
/// The flags of <c>mnist-rnn train</c>, their defaults (the library's), and how they become
/// <see cref="TrainingOptions"/>. <c>compare</c> shares them, less the ones each of its runs sets.
/// </summary>
internal sealed class TrainFlags
{
    private static readonly TrainingOptions Defaults = new();

    private readonly Option<string> _model = new("--model")
    {
        Description = "Recurrent cell: rnn (tanh), lstm, gru or irnn (ReLU RNN with identity-initialised recurrence).",
        HelpName = "rnn|lstm|gru|irnn",
        DefaultValueFactory = _ => Defaults.Model.ToName(),
    };
    private readonly Option<int> _steps = new("--steps") { Description = "Training steps (mini-batches).", DefaultValueFactory = _ => Defaults.Steps };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Sequences per mini-batch.", DefaultValueFactory = _ => Defaults.BatchSize };
    private readonly Option<double> _lr = DecimalOption.Create("--lr", "Adam learning rate.", Defaults.LearningRate);
    private readonly Option<double> _clipNorm = DecimalOption.Create("--clip-norm",
        "Rescale gradients whose global L2 norm exceeds this; 0 turns norm clipping off.", Defaults.ClipNorm ?? 0);
    private readonly Option<double> _clipValue = DecimalOption.Create("--clip-value",
        "Clamp each gradient element to [-v, v] after norm clipping; 0 turns it off.", Defaults.ClipValue ?? 0);
    private readonly Option<int> _hidden = new("--hidden") { Description = "Hidden state width.", DefaultValueFactory = _ => Defaults.HiddenSize };
    private readonly Option<long> _seed = new("--seed") { Description = "Seed for initial weights and batch order.", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<string> _device = DeviceOption.Create();
    private readonly Option<string> _stepMode = DeviceOption.CreateStepMode();
    public readonly Option<string?> Data = DataFolder.CreateOption();
    private readonly Option<int?> _logEvery = new("--log-every")
    {
        Description = "Log every N steps [default: every 100 steps to 1500, then every 1000, as the original experiment].",
    };
    private readonly Option<string> _order = new("--order")
    {
        Description = "How an image becomes a sequence: rows (28 steps of 28 pixels), pixels (784 steps of 1) or permuted (784 steps in a fixed random order).",
        HelpName = "rows|pixels|permuted",
        DefaultValueFactory = _ => Defaults.Order.ToName(),
    };
    private readonly Option<string?> _recipe = new("--recipe")
    {
        Description = "Start from measured settings: fast (0.984 in about 15 s on 2 cores) or best (highest accuracy in about 5 minutes); flags you give override them.",
        HelpName = "fast|best",
    };
    private readonly Option<string> _schedule = new("--schedule")
    {
        Description = "Learning-rate schedule: constant, or cosine (linear warm-up over --warmup steps, then cosine decay to 0; --lr is the peak).",
        HelpName = "constant|cosine",
        DefaultValueFactory = _ => "constant",
    };
    private readonly Option<int> _warmup = new("--warmup") { Description = "Warm-up steps of the cosine schedule.", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _stallWindow = new("--stall-window")
    {
        Description = "Warn once when the loss stays near chance for this many steps; 0 turns the check off.",
        DefaultValueFactory = _ => Defaults.StallWindow,
    };
    public readonly Option<string?> Summary = new("--summary") { Description = "Write a JSON summary of the run to this file." };
    public readonly Option<string?> Out = new("--out")
    {
        Description = "Checkpoint folder; it must be new or empty [default: runs/CELL-YYYYMMDD-HHMMSS, or the --resume folder].",
    };
    private readonly Option<int> _checkpointEvery = new("--checkpoint-every")
    {
        Description = "Write a checkpoint every N steps (and always after the last step and on Ctrl+C); 0 writes only those.",
        DefaultValueFactory = _ => Defaults.CheckpointEvery,
    };
    public readonly Option<int> Keep = new("--keep")
    {
        Description = "Keep the newest K checkpoints.",
        DefaultValueFactory = _ => Checkpoints.CheckpointStore.DefaultKeep,
    };
    public readonly Option<string?> Resume = new("--resume")
    {
        Description = "Continue the run saved in this checkpoint file, or in the newest checkpoint of this folder; its settings apply, --steps may extend it.",
    };
    private readonly Option<int> _maxNonFinite = new("--max-nonfinite")
    {
        Description = "Stop after this many consecutive steps with a non-finite loss or gradient (their updates are skipped).",
        DefaultValueFactory = _ => Defaults.MaxNonFiniteSteps,
    };
    public readonly Option<string?> LogDir = new("--logdir")
    {
        Description = "Write TensorBoard event files into this folder: scalars every step, weight and gradient histograms on logged steps.",
    };

    /// <summary>A library message with each <c>TrainingOptions.Property</c> it names replaced by the flag that sets it.</summary>
    public static string InFlagTerms(string message) =>
        FlagOf.Aggregate(message, (text, pair) => text.Replace($"TrainingOptions.{pair.Key}", pair.Value, StringComparison.Ordinal));

    private static readonly Dictionary<string, string> FlagOf = new()
    {
        [nameof(TrainingOptions.Model)] = "--model",
        [nameof(TrainingOptions.Steps)] = "--steps",
        [nameof(TrainingOptions.BatchSize)] = "--batch-size",
        [nameof(TrainingOptions.LearningRate)] = "--lr",
        [nameof(TrainingOptions.ClipNorm)] = "--clip-norm",
        [nameof(TrainingOptions.ClipValue)] = "--clip-value",
        [nameof(TrainingOptions.HiddenSize)] = "--hidden",
        [nameof(TrainingOptions.Seed)] = "--seed",
        [nameof(TrainingOptions.Device)] = "--device",
        [nameof(TrainingOptions.StepExecution)] = "--step-mode",
        [nameof(TrainingOptions.LogCadence)] = "--log-every",
        [nameof(TrainingOptions.Order)] = "--order",
        [nameof(TrainingOptions.Schedule)] = "--warmup",
        [nameof(TrainingOptions.StallWindow)] = "--stall-window",
        [nameof(TrainingOptions.CheckpointEvery)] = "--checkpoint-every",
        [nameof(TrainingOptions.MaxNonFiniteSteps)] = "--max-nonfinite",
    };

    /// <summary>Adds every flag to <c>train</c>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _recipe, _model, _order, _steps, _batchSize, _lr, _schedule, _warmup, _clipNorm, _clipValue, _hidden, _seed, _device, _stepMode, Data,
            _logEvery, _stallWindow, _maxNonFinite, Out, _checkpointEvery, Keep, Resume, Summary, LogDir })
            command.Options.Add(option);
    }

    /// <summary>
    /// Adds the flags <c>compare</c> shares: all but --model, which its runs name, --summary, which its report
    /// replaces, and the checkpoint flags, since its runs are not resumable.
    /// </summary>
    public void AddSharedTo(Command command)
    {
        foreach (var option in new Option[] { _order, _steps, _batchSize, _lr, _schedule, _warmup, _clipNorm, _clipValue, _hidden, _seed, _device, _stepMode, Data, _logEvery, _stallWindow, LogDir })
            command.Options.Add(option);
    }

    /// <summary>The training options the user typed, validated.</summary>
    /// <exception cref="UserErrorException">A value is invalid; the message names its flag.</exception>
    public TrainingOptions ReadOptions(ParseResult parse)
    {
        string modelName = ValueOrDefault(parse, _model, Defaults.Model.ToName())!;
        if (!CellKindNames.TryParse(modelName, out var model))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--model: unknown cell '{modelName}'; use rnn, lstm, gru or irnn.");
        string orderName = parse.GetValue(_order)!;
        if (!SequenceOrderNames.TryParse(orderName, out var order))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--order: unknown order '{orderName}'; use rows, pixels or permuted.");
        var device = DeviceOption.Parse(parse, _device);
        var stepMode = DeviceOption.ParseStepMode(parse, _stepMode);
        double clipNorm = parse.GetValue(_clipNorm);
        double clipValue = parse.GetValue(_clipValue);
        int? logEvery = parse.GetValue(_logEvery);
        int warmup = parse.GetValue(_warmup);
        if (warmup < 0) throw new UserErrorException(ExitCodes.InvalidArguments, $"--warmup must not be negative, got {warmup}.");
        var schedule = parse.GetValue(_schedule) switch
        {
            "constant" => LearningRateSchedule.Constant,
            "cosine" => LearningRateSchedule.Cosine(warmup),
            var other => throw new UserErrorException(ExitCodes.InvalidArguments, $"--schedule: unknown schedule '{other}'; use constant or cosine."),
        };
        var options = new TrainingOptions
        {
            Model = model,
            Steps = parse.GetValue(_steps),
            BatchSize = parse.GetValue(_batchSize),
            LearningRate = parse.GetValue(_lr),
            Schedule = schedule,
            // 0 is the command line's way to say "off"; negative values stay to be rejected below.
            ClipNorm = clipNorm == 0 ? null : clipNorm,
            ClipValue = clipValue == 0 ? null : clipValue,
            HiddenSize = parse.GetValue(_hidden),
            Seed = parse.GetValue(_seed),
            Device = device,
            StepExecution = stepMode,
            LogCadence = logEvery is int every ? LogCadence.EveryNSteps(every) : LogCadence.Experiment,
            Order = order,
            StallWindow = parse.GetValue(_stallWindow),
            MaxNonFiniteSteps = ValueOrDefault(parse, _maxNonFinite, Defaults.MaxNonFiniteSteps),
            CheckpointEvery = ValueOrDefault(parse, _checkpointEvery, Defaults.CheckpointEvery),
        };
        if (ValueOrDefault(parse, _recipe, null) is { } recipeName)
            options = WithRecipe(parse, options, TrainingRecipes.Named(recipeName)
                ?? throw new UserErrorException(ExitCodes.InvalidArguments, $"--recipe: unknown recipe '{recipeName}'; use fast or best."));
        var problem = options.Problems().FirstOrDefault();
        if (problem is not null)
            throw new UserErrorException(ExitCodes.InvalidArguments, $"{FlagOf[problem.Property]} {problem.Message}");
        return options;
    }

    /// <summary>
    /// The options of a resumed run: the checkpoint's, except --steps (which may extend it), the logging,
    /// stall, checkpoint and device flags. A flag typed explicitly that contradicts the checkpoint is an error.
    /// </summary>
    /// <exception cref="UserErrorException">A typed flag contradicts the checkpoint, or --steps leaves nothing to do.</exception>
    public TrainingOptions ResumeOptions(ParseResult parse, TrainingOptions typed, Checkpoints.CheckpointInfo checkpoint)
    {
        var saved = checkpoint.Options;
        var fixedSettings = new (Option Flag, object? Typed, object? Saved)[]
        {
            (_model, typed.Model, saved.Model), (_order, typed.Order, saved.Order), (_hidden, typed.HiddenSize, saved.HiddenSize),
            (_batchSize, typed.BatchSize, saved.BatchSize), (_lr, typed.LearningRate, saved.LearningRate), (_clipNorm, typed.ClipNorm, saved.ClipNorm),
            (_clipValue, typed.ClipValue, saved.ClipValue), (_seed, typed.Seed, saved.Seed),
        };
        foreach (var (flag, typedValue, savedValue) in fixedSettings)
        {
            if (Typed(parse, flag) && !Equals(typedValue, savedValue))
                throw new UserErrorException(ExitCodes.InvalidArguments,
                    $"{flag.Name} {typedValue?.ToString() ?? "0"} contradicts the checkpoint's {savedValue?.ToString() ?? "0"}; a resumed run keeps its settings, so drop the flag or start a new run.");
        }
        var options = saved with
        {
            Steps = Typed(parse, _steps) ? typed.Steps : saved.Steps,
            LogCadence = Typed(parse, _logEvery) ? typed.LogCadence : saved.LogCadence,
            StallWindow = Typed(parse, _stallWindow) ? typed.StallWindow : saved.StallWindow,
            CheckpointEvery = Typed(parse, _checkpointEvery) ? typed.CheckpointEvery : saved.CheckpointEvery,
            MaxNonFiniteSteps = Typed(parse, _maxNonFinite) ? typed.MaxNonFiniteSteps : saved.MaxNonFiniteSteps,
            Device = typed.Device,
            StepExecution = typed.StepExecution,
        };
        if (options.Steps <= checkpoint.Step)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--steps {options.Steps}: the checkpoint is already at step {checkpoint.Step}; give a larger --steps to train further.");
        return options;
    }

    // The recipe's settings, except where a flag was typed.
    private TrainingOptions WithRecipe(ParseResult parse, TrainingOptions typed, TrainingOptions recipe) => recipe with
    {
        Model = Typed(parse, _model) ? typed.Model : recipe.Model,
        Order = Typed(parse, _order) ? typed.Order : recipe.Order,
        Steps = Typed(parse, _steps) ? typed.Steps : recipe.Steps,
        BatchSize = Typed(parse, _batchSize) ? typed.BatchSize : recipe.BatchSize,
        LearningRate = Typed(parse, _lr) ? typed.LearningRate : recipe.LearningRate,
        Schedule = Typed(parse, _schedule) || Typed(parse, _warmup) ? typed.Schedule : recipe.Schedule,
        ClipNorm = Typed(parse, _clipNorm) ? typed.ClipNorm : recipe.ClipNorm,
        ClipValue = Typed(parse, _clipValue) ? typed.ClipValue : recipe.ClipValue,
        HiddenSize = Typed(parse, _hidden) ? typed.HiddenSize : recipe.HiddenSize,
        Seed = Typed(parse, _seed) ? typed.Seed : recipe.Seed,
        LogCadence = Typed(parse, _logEvery) ? typed.LogCadence : recipe.LogCadence,
        StallWindow = typed.StallWindow,
        MaxNonFiniteSteps = typed.MaxNonFiniteSteps,
        CheckpointEvery = typed.CheckpointEvery,
        Device = typed.Device,
        StepExecution = typed.StepExecution,
    };

    private static bool Typed(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    // compare lacks some of train's flags; their library defaults apply there.
    private static T ValueOrDefault<T>(ParseResult parse, Option<T> option, T fallback) =>
        parse.CommandResult.Command.Options.Contains(option) ? parse.GetValue(option)! : fallback;
}
