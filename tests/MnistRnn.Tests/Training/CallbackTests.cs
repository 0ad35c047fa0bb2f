using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>
/// Training is observed and extended one way, through <see cref="Trainer.Callbacks"/>: what each moment sees, in what
/// order, and how a callback steers the run, in both step modes.
/// </summary>
[Category("Unit")]
public sealed class CallbackTests
{
    private static TrainingOptions Options(StepExecution execution, int steps = 12) => new()
    {
        Cell = CellKind.Gru, Steps = steps, BatchSize = 16, HiddenSize = 8, Device = DeviceChoice.Cpu, StepExecution = execution,
        ValidateEvery = 4, CheckpointEvery = 0, StallWindow = 0, LogCadence = LogCadence.EveryNSteps(int.MaxValue),
        Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
    };

    // Writes down every moment as "moment step".
    private sealed class Journal : TrainingCallback
    {
        public List<string> Entries { get; } = [];

        public override void OnTrainingStart(TrainingContext context) => Entries.Add($"start {context.Step}");
        public override void OnStepReported(TrainingContext context, StepMetrics metrics) => Entries.Add($"reported {metrics.Step}");
        public override void OnValidationEnd(TrainingContext context, ValidationRecord validation) => Entries.Add($"validated {validation.Step}");
        public override void OnGradientFlow(TrainingContext context, GradientFlowMeasurement measurement) => Entries.Add($"flow {measurement.Step}");
        public override void OnStepEnd(TrainingContext context) => Entries.Add($"end {context.Step}");
        public override void OnInterrupted(TrainingContext context) => Entries.Add($"interrupted {context.Step}");
        public override void OnTrainingEnd(TrainingContext context, TrainingResult result) => Entries.Add($"finished {result.LastStepNumber}");
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Every_moment_reaches_the_callbacks_in_step_order(StepExecution execution)
    {
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        using var validation = LearnableTasks.BrightestRow(32, seed: 2);
        var journal = new Journal();
        var trainer = new Trainer(Options(execution, steps: 4) with { GradientFlowSteps = [0, 2] }) { Callbacks = [journal] };
        using var model = trainer.CreateModel(train);

        trainer.Train(model, train, validation);

        // The trainer's own callbacks come first (the gradient-flow probe measures at the start, then the journal hears of
        // it). Device-resident steps are reported in a burst before the validation at step 4; synchronous ones as they end.
        string[] steps = execution == StepExecution.Synchronous
            ? ["reported 1", "end 1", "reported 2", "flow 2", "end 2", "reported 3", "end 3", "reported 4", "validated 4", "end 4"]
            : ["end 1", "flow 2", "end 2", "end 3", "reported 1", "reported 2", "reported 3", "reported 4", "validated 4", "end 4"];
        Assert.That(journal.Entries, Is.EqualTo((string[])["flow 0", "start 0", .. steps, "finished 4"]));
    }

    // Stops the run once a step's loss falls below a bound, as a user's own rule would.
    private sealed class StopBelow(double loss) : TrainingCallback
    {
        public override void OnStepReported(TrainingContext context, StepMetrics metrics)
        {
            if (metrics.Loss < loss) context.RequestStop();
        }
    }

    [TestCase(true, TestName = "A callback listed before the checkpoint store stops training after that step with a checkpoint")]
    [TestCase(false, TestName = "A callback listed after the checkpoint store stops training after that step with a checkpoint")]
    public void A_callback_that_requests_a_stop_ends_training_after_that_step_with_a_checkpoint(bool stopperFirst)
    {
        using var folder = new TempFolder();
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        var steps = new List<StepMetrics>();
        TrainingCallback stopper = new StopBelow(1.0), store = new CheckpointStore(folder.Path);
        var trainer = new Trainer(Options(StepExecution.Synchronous, steps: 200) with { LearningRate = 0.05 })
        {
            Callbacks = [new TrainingObserver { StepCompleted = steps.Add }, .. stopperFirst ? new[] { stopper, store } : [store, stopper]],
        };
        using var model = trainer.CreateModel(train);

        var result = trainer.Train(model, train);

        int stop = steps.First(m => m.Loss < 1.0).Step;
        Assert.That(stop, Is.LessThan(200), "the task is learned well before the last step");
        Assert.That((result.LastStepNumber, result.StoppedEarly, steps.Count), Is.EqualTo((stop, true, stop)));
        Assert.That(result.LastCheckpoint, Is.EqualTo(Path.Combine(folder.Path, CheckpointStore.FileName(stop))));
        Assert.That(File.Exists(result.LastCheckpoint), Is.True);
        Assert.That(result.StoppedBy, Is.EqualTo(TrainingStop.Callback));

        // A stop of the user's own is not the run's end, as early stopping is: the checkpoint resumes.
        var checkpoint = CheckpointFile.Read(result.LastCheckpoint!);
        var resumer = new Trainer(Options(StepExecution.Synchronous, steps: stop + 2) with { LearningRate = 0.05 });
        using var resumed = resumer.CreateModel(train);
        Assert.That(resumer.Train(resumed, train, resume: checkpoint).LastStepNumber, Is.EqualTo(stop + 2));
    }

    [Test]
    public void Cancellation_tells_every_callback_before_the_exception_says_what_was_saved()
    {
        using var folder = new TempFolder();
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        using var cancellation = new CancellationTokenSource();
        var journal = new Journal();
        var trainer = new Trainer(Options(StepExecution.Synchronous))
        {
            Callbacks = [new TrainingObserver { StepCompleted = m => { if (m.Step == 5) cancellation.Cancel(); } }, new CheckpointStore(folder.Path), journal],
        };
        using var model = trainer.CreateModel(train);

        var error = Assert.Throws<TrainingCanceledException>(() => trainer.Train(model, train, cancellation.Token))!;

        Assert.That(journal.Entries[^1], Is.EqualTo("interrupted 5"));
        Assert.That(journal.Entries, Has.None.StartsWith("finished"));
        Assert.That((error.CompletedSteps, error.LastCheckpoint), Is.EqualTo((5, Path.Combine(folder.Path, CheckpointStore.FileName(5)))));
    }

    [Test]
    public void The_context_shows_the_validations_the_best_and_the_last_checkpoint_as_they_happen()
    {
        using var folder = new TempFolder();
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        using var validation = LearnableTasks.BrightestRow(32, seed: 2);
        var seen = new List<(int Step, int Validations, int? Best, string? Checkpoint)>();
        var trainer = new Trainer(Options(StepExecution.Synchronous) with { CheckpointEvery = 4 })
        {
            Callbacks = [new CheckpointStore(folder.Path), new EndOfStep(c => seen.Add((c.Step, c.Validations.Count, c.BestValidation?.Step, c.LastCheckpoint)))],
        };
        using var model = trainer.CreateModel(train);

        var result = trainer.Train(model, train, validation);

        Assert.That(seen.Select(s => s.Validations), Is.EqualTo(new[] { 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3 }));
        Assert.That(seen[^1].Best, Is.EqualTo(result.BestValidation!.Step));
        Assert.That(seen.Select(s => s.Checkpoint is null ? 0 : CheckpointStore.StepOf(s.Checkpoint)),
            Is.EqualTo(new[] { 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12 }), "the store, listed before, has written the step's checkpoint");
    }

    private sealed class EndOfStep(Action<TrainingContext> action) : TrainingCallback
    {
        public override void OnStepEnd(TrainingContext context) => action(context);
    }

    [Test]
    public void Images_become_sequences_without_a_copy_except_for_the_permuted_order()
    {
        using var images = new DatasetSplit(rand(10, 3, 4), randint(0, 2, [10], ScalarType.Int64));
        using var rows = images.ToSequences(SequenceOrder.Rows, classes: 2);
        using var pixels = images.ToSequences(SequenceOrder.Pixels, classes: 2);
        using var permuted = images.ToSequences(SequenceOrder.Permuted, classes: 2);
        using var layout = new SequenceLayout(SequenceOrder.Permuted, 3, 4);
        using var scope = NewDisposeScope();

        Assert.That((rows.Steps, rows.Features, pixels.Steps, pixels.Features), Is.EqualTo((3, 4, 12, 1)));
        Assert.That(permuted.Sequences.eq(layout.Arrange(images.Images)).all().item<bool>(), Is.True, "the permutation every checkpoint of pMNIST uses");
        var before = permuted.Sequences.clone();

        // What shares the images' memory sees a write to them; a copy does not.
        images.Images.fill_(7);
        Assert.That(rows.Sequences.eq(7).all().item<bool>(), Is.True, "rows are the images themselves");
        Assert.That(pixels.Sequences.eq(7).all().item<bool>(), Is.True, "pixels are a view of them");
        Assert.That(permuted.Sequences.eq(before).all().item<bool>(), Is.True, "the permuted order is a copy");
    }
}
