using Microsoft.Extensions.Logging;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// One call of <see cref="Trainer.Train(RecurrentClassifier, SequenceDataset, SequenceDataset, CancellationToken, Checkpoint)"/>:
/// the step loop and what it owns (optimizer, batches, learning rate, pending metrics, validations, clock),
/// with every other concern in the callbacks its <see cref="TrainingContext"/> calls. Each stateful part saves and restores
/// its own section of a checkpoint (<see cref="IStateOwner"/>).
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    private readonly TrainingOptions _options;
    private readonly RecurrentClassifier _model;
    private readonly AdamOptimizer _optimizer;
    private readonly ShuffledBatches _batches;
    private readonly PendingMetrics? _pending;
    private readonly ValidationTracker? _validation;
    private readonly IStepPrecision _precision;
    private readonly LearningRateControl _learningRate;
    private readonly TrainingContext _context;
    private readonly TrainingClock _clock = new();
    private readonly DataIdentity _data;
    private StepMetrics? _lastReported;
    private readonly bool _checkpointed;
    private readonly Func<string, string> _settingName;

    public TrainingRun(TrainingOptions options, RecurrentClassifier model, SequenceDataset train, SequenceDataset? validation, DataIdentity data,
        Func<optim.Optimizer, optim.lr_scheduler.LRScheduler>? scheduler, IReadOnlyList<TrainingCallback> callbacks, ILogger logger, Func<string, string> settingName)
    {
        _settingName = settingName;
        _options = options;
        _model = model;
        _data = data;
        var execution = StepExecutionChoice.Resolve(options.StepExecution, train.Device);
        _optimizer = new AdamOptimizer(model.parameters(), options.LearningRate, execution, weightDecay: options.WeightDecay);
        _batches = new ShuffledBatches(train, options.BatchSize, options.Seed);
        _pending = execution == StepExecution.DeviceResident ? new PendingMetrics(Trainer.MaxPendingSteps, train.Device, model.Cell) : null;
        _validation = validation is null ? null : new ValidationTracker(validation, options, model);
        _precision = StepPrecision.For(options.Precision, model);
        _learningRate = new LearningRateControl(options, _optimizer, scheduler);
        // The one place that asks for validation data: the options' readers of the validation loss, or a plateau scheduler of the user's.
        if (_validation is null && (options.ValidationReader ?? (_learningRate.NeedsValidation ? "Trainer.Scheduler" : null)) is { } reader)
            throw new ArgumentException(reader == "Trainer.Scheduler"
                ? "Trainer.Scheduler made a ReduceLROnPlateau, which reads the validation loss; pass validation data to Train."
                : $"{settingName(reader)} reads the validation loss (as early stopping, the best weights and a plateau schedule do); pass validation data to Train.", reader);
        _context = new TrainingContext(options, model, train, data, _validation, _clock, callbacks, logger);
        IStateOwner?[] owners = [new ModelWeights(model), _optimizer, _batches, new GlobalGenerator(), _validation, _learningRate.NeedsSection ? _learningRate : null, _clock];
        // A built-in callback may own a section of its own name (the weight average's "ema"); a user's saves under callback.KEY.
        _context.StateOwners = [.. owners.OfType<IStateOwner>(), .. callbacks.OfType<IStateOwner>(), .. CallbackState.Owners(callbacks)];
        _checkpointed = callbacks.OfType<CheckpointStore>().Any();
    }

    public TrainingResult Run(CancellationToken cancellationToken, Checkpoint? resume)
    {
        if (resume is not null)
        {
            CheckpointResume.EnsureResumable(_options, resume, new ResumedRun(_model, _data, _validation is not null));
            foreach (string dropped in resume.Restore(_context.StateOwners)) TrainingLog.SectionDropped(_context.Logger, dropped, resume.Path);
            _context.LastCheckpoint = resume.Path;
        }
        if (_checkpointed) CallbackState.EnsureSaveable(_context.StateOwners);
        int first = (resume?.Info.Step ?? 0) + 1;
        _context.Step = first - 1;
        _model.train();
        _context.Notify(c => c.OnTrainingStart(_context));
        _clock.Start();
        for (int step = first; step <= _options.Steps && !_context.StopRequested; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                ReportPending();
                _context.Notify(c => c.OnInterrupted(_context));
                throw new TrainingCanceledException(step - 1, _context.LastCheckpoint, cancellationToken);
            }
            RunStep(step);
        }
        _clock.Stop();
        int last = _context.Step;
        // Ending inside a run of skipped updates is divergence too, only cut short by the step count: the
        // last step's loss is not finite and no final checkpoint was written.
        if (_context.SkippedUpdatesInARow > 0) throw new TrainingDivergedException(last, _context.SkippedUpdatesInARow, _context.LastCheckpoint, _settingName);
        int weightsFrom = last;
        if (_options.RestoreBestWeights && _validation?.Best is { } best)
        {
            _validation.RestoreBest(_model);
            weightsFrom = best.Step;
        }
        var result = new TrainingResult(last - first + 1, _options.SequencesPerStep, _clock.Elapsed.TotalSeconds, _lastReported!)
        {
            LastStepNumber = last,
            StoppedEarly = last < _options.Steps,
            StoppedBy = _context.StopReason,
            Validations = _validation?.History.ToList() ?? [],
            BestValidation = _validation?.Best,
            WeightsFromStep = weightsFrom,
            LastCheckpoint = _context.LastCheckpoint,
        };
        _context.Notify(c => c.OnTrainingEnd(_context, result));
        return result;
    }

    private void RunStep(int step)
    {
        using var scope = NewDisposeScope();
        bool logged = _options.LogCadence.ShouldLog(step, _options.Steps);
        bool validating = _validation is not null && StepSchedule.IsDue(step, _options.ValidateEvery, _options.Steps);
        // A checkpoint is only written after a step whose update applied, which the host must know first.
        bool checkpointDue = StepSchedule.IsDue(step, _options.CheckpointEvery, _options.Steps);
        _learningRate.BeforeStep(step);
        if (_pending is null)
        {
            var metrics = TrainingStep.Run(_model, _optimizer, _batches, _options, step, measureState: logged, _clock, _precision);
            _context.Step = step;
            if (!metrics.UpdateSkipped) _context.Notify(c => c.OnUpdate(_context, null));
            Report(metrics);
        }
        else
        {
            var applied = TrainingStep.RunOnDevice(_model, _optimizer, _batches, _options, step, measureState: logged, _clock, _pending, _precision);
            _context.Step = step;
            _context.Notify(c => c.OnUpdate(_context, applied));
            // A validation is a decision point (best weights, stopping): the steps before it are reported first.
            if (logged || checkpointDue || validating || _pending.IsFull) ReportPending();
        }
        _learningRate.AfterStep();
        if (validating)
        {
            _context.Notify(c => c.OnValidationStart(_context));
            var record = _validation!.Validate(_model, step);
            TrainingLog.Validation(_context.Logger, step, record.Loss, record.Accuracy, record.IsBest ? " (best)" : "");
            _learningRate.AfterValidation(record);
            _context.Notify(c => c.OnValidationEnd(_context, record));
        }
        _context.Notify(c => c.OnStepEnd(_context));
        // After every callback's step end, so a stop asked for by one listed after a checkpoint store is still saved.
        if (_context.StopRequested) _context.Notify(c => c.OnStopping(_context));
    }

    // Everything done with a step's figures, in step order, as soon as they are on the host.
    private void Report(StepMetrics metrics)
    {
        _lastReported = metrics;
        _context.SkippedUpdatesInARow = metrics.UpdateSkipped ? _context.SkippedUpdatesInARow + 1 : 0;
        if (metrics.UpdateSkipped)
        {
            TrainingLog.NonFinite(_context.Logger, metrics.Step, metrics.Loss, metrics.GradNorm, _context.SkippedUpdatesInARow, _options.MaxNonFiniteSteps);
            if (_context.SkippedUpdatesInARow >= _options.MaxNonFiniteSteps)
                throw new TrainingDivergedException(metrics.Step, _context.SkippedUpdatesInARow, _context.LastCheckpoint, _settingName);
        }
        _context.Notify(c => c.OnStepReported(_context, metrics));
    }

    private void ReportPending()
    {
        if (_pending is null) return;
        foreach (var metrics in _pending.ReadBack()) Report(metrics);
    }

    public void Dispose()
    {
        _precision.Dispose();
        _validation?.Dispose();
        _pending?.Dispose();
        _batches.Dispose();
        _optimizer.Dispose();
    }
}
