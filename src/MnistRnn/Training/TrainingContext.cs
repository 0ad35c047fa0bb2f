using Microsoft.Extensions.Logging;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.Models;

namespace MnistRnn.Training;

/// <summary>
/// What a <see cref="TrainingCallback"/> sees of the run in progress, and how it steers it: one per call of <c>Train</c>.
/// </summary>
public sealed class TrainingContext
{
    private readonly IReadOnlyList<TrainingCallback> _callbacks;
    private readonly ValidationTracker? _validation;

    private readonly TrainingClock _clock;
    private readonly DataIdentity _data;

    internal TrainingContext(TrainingOptions options, RecurrentClassifier model, SequenceDataset train, DataIdentity data, ValidationTracker? validation,
        TrainingClock clock, IReadOnlyList<TrainingCallback> callbacks, ILogger logger)
    {
        Options = options;
        Model = model;
        Train = train;
        _data = data;
        _validation = validation;
        _clock = clock;
        _callbacks = callbacks;
        Logger = logger;
    }

    /// <summary>The options training runs with.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The model being trained.</summary>
    public RecurrentClassifier Model { get; }

    /// <summary>The last step completed, counting a resumed checkpoint's (0 before the first).</summary>
    public int Step { get; internal set; }

    /// <summary>Steps in a row, up to the last reported, whose loss or gradient was not finite and whose update was skipped.</summary>
    public int SkippedUpdatesInARow { get; internal set; }

    /// <summary>The last checkpoint written or resumed from, or null.</summary>
    public string? LastCheckpoint { get; internal set; }

    /// <summary>Every validation so far, a resumed checkpoint's included; empty without validation data.</summary>
    public IReadOnlyList<ValidationRecord> Validations => _validation?.History ?? [];

    /// <summary>The best validation so far (see <see cref="TrainingOptions.Monitor"/>), or null.</summary>
    public ValidationRecord? BestValidation => _validation?.Best;

    /// <summary>Training time of the whole run so far, a resumed checkpoint's included (what the time budget counts).</summary>
    public TimeSpan TrainingTime => _clock.Total;

    /// <summary>Whether a callback has asked training to stop.</summary>
    public bool StopRequested => StopReason != TrainingStop.AllSteps;

    /// <summary>
    /// Ends training after the current step, as Keras's <c>model.stop_training = True</c>: the callbacks still see the
    /// step's end, and <c>Train</c> returns normally with <see cref="TrainingResult.StoppedEarly"/>.
    /// </summary>
    public void RequestStop() => RequestStop(TrainingStop.Callback);

    internal void RequestStop(TrainingStop reason)
    {
        if (!StopRequested) StopReason = reason;
    }

    internal TrainingStop StopReason { get; private set; }

    /// <summary>The training sequences.</summary>
    internal SequenceDataset Train { get; }

    /// <summary>Every stateful part of the run, each saving and restoring its own section of a checkpoint.</summary>
    internal IReadOnlyList<IStateOwner> StateOwners { get; set; } = [];

    /// <summary>What a checkpoint written now records of the run besides its sections.</summary>
    internal CheckpointedRun CheckpointedRun => new(Step, Options, Model.InputSize, Model.Classes, _data, Train.Device.ToString());

    internal ILogger Logger { get; }

    /// <summary>Calls <paramref name="moment"/> on every callback, in order.</summary>
    internal void Notify(Action<TrainingCallback> moment)
    {
        foreach (var callback in _callbacks) moment(callback);
    }

    internal void Notify(Stall stall) => Notify(c => c.OnStall(this, stall));

    internal void Notify(GradientFlowMeasurement measurement) => Notify(c => c.OnGradientFlow(this, measurement));
}
