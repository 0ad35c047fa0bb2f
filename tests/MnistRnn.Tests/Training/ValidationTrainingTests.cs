using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>Validation during training, early stopping, the best weights and schedulers driven by the trainer, in both step modes.</summary>
[Category("Unit")]
public sealed class ValidationTrainingTests
{
    private SequenceDataset _train = null!;
    private SequenceDataset _validation = null!;
    // Labels drawn at random: the better the model learns the task, the worse it does here, so its loss plateaus and rises.
    private SequenceDataset _unlearnable = null!;
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp()
    {
        _train = LearnableTasks.BrightestRow(256, seed: 5);
        _validation = LearnableTasks.BrightestRow(128, seed: 6);
        using (var generator = new Generator(7))
            _unlearnable = new SequenceDataset(_validation.Sequences.clone(), randint(0, 4, [128], ScalarType.Int64, generator: generator), classes: 4);
        _folder = new TempFolder();
    }

    [TearDown]
    public void TearDown()
    {
        _train.Dispose();
        _validation.Dispose();
        _unlearnable.Dispose();
        _folder.Dispose();
    }

    private static TrainingOptions Options(int steps = 40, StepExecution execution = StepExecution.Synchronous) => new()
    {
        Cell = CellKind.Gru,
        Steps = steps,
        BatchSize = 16,
        HiddenSize = 16,
        ValidateEvery = 5,
        Device = DeviceChoice.Cpu,
        StepExecution = execution,
        CheckpointEvery = 0,
        Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
    };

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    private (TrainingResult Result, float[] Weights, List<ValidationRecord> Seen) Train(TrainingOptions options, SequenceDataset? validation,
        Func<optim.Optimizer, optim.lr_scheduler.LRScheduler>? scheduler = null, CheckpointStore? store = null, Checkpoint? resume = null,
        List<double>? rates = null, CancellationToken cancellation = default, Action<StepMetrics>? onStep = null)
    {
        var trainer = new Trainer(options) { Scheduler = scheduler };
        if (store is not null) trainer.Callbacks.Add(store);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var seen = new List<ValidationRecord>();
        trainer.Callbacks.Add(new TrainingObserver { ValidationCompleted = seen.Add });
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = m => rates?.Add(m.LearningRate) });
        if (onStep is not null) trainer.Callbacks.Add(new TrainingObserver { StepCompleted = onStep });
        var result = trainer.Train(model, _train, validation, cancellation, resume);
        return (result, Weights(model), seen);
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Validation_runs_every_n_steps_and_after_the_last_without_changing_what_is_trained(StepExecution execution)
    {
        var plain = Train(Options(steps: 23, execution), validation: null);
        var validated = Train(Options(steps: 23, execution), _validation);

        Assert.That(validated.Seen.Select(v => v.Step), Is.EqualTo(new[] { 5, 10, 15, 20, 23 }));
        Assert.That(validated.Result.Validations, Is.EqualTo(validated.Seen));
        Assert.That(validated.Seen, Has.All.Matches<ValidationRecord>(v => v.Accuracy is >= 0 and <= 1 && double.IsFinite(v.Loss)));
        // Evaluation draws no random numbers and leaves the model in training mode: the same weights, to the bit.
        Assert.That(validated.Weights, Is.EqualTo(plain.Weights));
        Assert.That(validated.Result.WeightsFromStep, Is.EqualTo(23));
    }

    [Test]
    public void A_validation_record_equals_evaluating_the_model_at_that_step()
    {
        var validated = Train(Options(steps: 10), _validation);
        var trainer = new Trainer(Options(steps: 10));
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        trainer.Train(model, _train);
        var evaluation = ModelEvaluation.Evaluate(model, _validation);

        Assert.That(validated.Seen[^1].Loss, Is.EqualTo(evaluation.Loss));
        Assert.That(validated.Seen[^1].Accuracy, Is.EqualTo(evaluation.Accuracy));
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Early_stopping_stops_after_patience_validations_without_improvement_and_restores_the_best_weights(StepExecution execution)
    {
        // An improvement must exceed 10 in loss, which no validation after the first can: the first stays the best, and
        // training stops at the third validation after it.
        var options = Options(steps: 100, execution) with { EarlyStopPatience = 3, MinDelta = 10, RestoreBestWeights = true };
        var stopped = Train(options, _validation);
        var atStep5 = Train(Options(steps: 5, execution), validation: null);

        Assert.That(stopped.Seen.Select(v => v.Step), Is.EqualTo(new[] { 5, 10, 15, 20 }));
        Assert.That(stopped.Seen.Select(v => v.ValidationsWithoutImprovement), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(stopped.Result.StoppedEarly, Is.True);
        Assert.That(stopped.Result.LastStepNumber, Is.EqualTo(20));
        Assert.That(stopped.Result.Steps, Is.EqualTo(20));
        Assert.That(stopped.Result.BestValidation!.Step, Is.EqualTo(5));
        Assert.That(stopped.Result.WeightsFromStep, Is.EqualTo(5));
        Assert.That(stopped.Weights, Is.EqualTo(atStep5.Weights), "the model holds step 5's weights");
    }

    [Test]
    public void Accuracy_can_be_monitored_instead_of_loss()
    {
        var options = Options(steps: 30) with { Monitor = ValidationMetric.Accuracy };
        var run = Train(options, _validation);

        var best = run.Seen.MaxBy(v => v.Accuracy)!;
        Assert.That(run.Result.BestValidation!.Accuracy, Is.EqualTo(best.Accuracy));
        Assert.That(run.Seen.Where(v => v.IsBest).Select(v => v.Accuracy), Is.Ordered.Ascending);
    }

    [Test]
    public void A_run_interrupted_mid_patience_and_resumed_stops_at_the_same_step_with_the_same_weights()
    {
        var options = Options(steps: 100) with { EarlyStopPatience = 3, MinDelta = 10, RestoreBestWeights = true, CheckpointEvery = 0 };
        var straight = Train(options, _validation, store: new CheckpointStore(Path.Combine(_folder.Path, "straight")));

        // Cancelled after step 12: one validation after the best (step 5), two more to go.
        using var cancel = new CancellationTokenSource();
        var interruptedStore = new CheckpointStore(Path.Combine(_folder.Path, "interrupted"));
        Assert.Throws<TrainingCanceledException>(() =>
            Train(options, _validation, store: interruptedStore, cancellation: cancel.Token, onStep: m => { if (m.Step == 12) cancel.Cancel(); }));
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(interruptedStore.Folder)[0]);
        Assert.That(checkpoint.Info.Step, Is.EqualTo(12));
        Assert.That(checkpoint.Validations.Select(v => v.Step), Is.EqualTo(new[] { 5, 10 }));

        var resumed = Train(checkpoint.Info.Options, _validation, store: interruptedStore, resume: checkpoint);

        Assert.That(resumed.Result.LastStepNumber, Is.EqualTo(straight.Result.LastStepNumber));
        Assert.That(resumed.Result.Validations, Is.EqualTo(straight.Result.Validations));
        Assert.That(resumed.Weights, Is.EqualTo(straight.Weights));
    }

    [Test]
    public void A_run_that_stopped_early_is_finished()
    {
        var options = Options(steps: 100) with { EarlyStopPatience = 1, MinDelta = 10 };
        var store = new CheckpointStore(Path.Combine(_folder.Path, "stopped"));
        Train(options, _validation, store: store);
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(store.Folder)[0]);

        var error = Assert.Throws<CheckpointException>(() => Train(checkpoint.Info.Options, _validation, resume: checkpoint))!;

        Assert.That(error.Message, Does.Contain("stopped early at step 10"));
    }

    [Test]
    public void The_best_checkpoint_is_kept_beside_the_periodic_ones_and_never_pruned()
    {
        var options = Options(steps: 40) with { CheckpointEvery = 5, Monitor = ValidationMetric.Accuracy };
        var store = new CheckpointStore(Path.Combine(_folder.Path, "best"), keep: 1) { KeepBest = true };
        var run = Train(options, _validation, store: store);

        string best = CheckpointStore.Best(store.Folder)!;
        Assert.That(Path.GetFileName(best), Is.EqualTo("checkpoint-best.ckpt"));
        Assert.That(CheckpointStore.List(store.Folder).Select(Path.GetFileName), Is.EqualTo(new[] { "checkpoint-step-0000040.ckpt" }));
        var checkpoint = CheckpointFile.Read(best);
        Assert.That(checkpoint.Info.Step, Is.EqualTo(run.Result.BestValidation!.Step));
        using var model = checkpoint.CreateModel();
        Assert.That(ModelEvaluation.Evaluate(model, _validation).Accuracy, Is.EqualTo(run.Result.BestValidation.Accuracy));
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_users_scheduler_drives_the_learning_rate(StepExecution execution)
    {
        var rates = new List<double>();
        Train(Options(steps: 20, execution), validation: null, scheduler: o => optim.lr_scheduler.OneCycleLR(o, max_lr: 0.02, total_steps: 20), rates: rates);

        // The same scheduler over TorchSharp's Adam gives the rate of each step.
        using var layer = nn.Linear(2, 2);
        using var adam = optim.Adam(layer.parameters(), lr: 0.01);
        var reference = optim.lr_scheduler.OneCycleLR(adam, max_lr: 0.02, total_steps: 20);
        var expected = new List<double>();
        for (int step = 0; step < 20; step++)
        {
            expected.Add(adam.ParamGroups.First().LearningRate);
            reference.step();
        }
        Assert.That(rates, Is.EqualTo(expected).Within(1e-15));
        Assert.That(rates.Max(), Is.EqualTo(0.02).Within(1e-4));
    }

    [Test]
    public void Reduce_on_plateau_reads_the_validation_loss()
    {
        var rates = new List<double>();
        var options = Options(steps: 40) with { Schedule = LearningRateSchedule.ReduceOnPlateau(factor: 0.5, patience: 0) };
        Train(options, _unlearnable, rates: rates);

        // Patience 0: every validation that does not improve cuts the rate. The plateau scheduler keeps its own
        // threshold (relative 1e-4), so the cuts are counted, not predicted; each halves the rate.
        Assert.That(rates[0], Is.EqualTo(0.01));
        Assert.That(rates.Distinct().Count(), Is.GreaterThan(1));
        Assert.That(rates.Distinct().Zip(rates.Distinct().Skip(1), (a, b) => b / a), Has.All.EqualTo(0.5).Within(1e-12));
    }

    [TestCase("one-cycle")]
    [TestCase("plateau")]
    [TestCase("users")]
    public void A_resumed_run_follows_the_learning_rates_of_an_uninterrupted_one(string which)
    {
        var options = Options(steps: 30) with
        {
            Schedule = which switch
            {
                "one-cycle" => LearningRateSchedule.OneCycle,
                "plateau" => LearningRateSchedule.ReduceOnPlateau(0.5, 0),
                _ => LearningRateSchedule.Constant,
            },
        };
        Func<optim.Optimizer, optim.lr_scheduler.LRScheduler>? scheduler = which == "users" ? o => optim.lr_scheduler.StepLR(o, step_size: 4, gamma: 0.7) : null;
        var straightRates = new List<double>();
        var straight = Train(options, _unlearnable, scheduler, rates: straightRates);

        using var cancel = new CancellationTokenSource();
        var store = new CheckpointStore(Path.Combine(_folder.Path, which));
        Assert.Throws<TrainingCanceledException>(() =>
            Train(options, _unlearnable, scheduler, store: store, cancellation: cancel.Token, onStep: m => { if (m.Step == 13) cancel.Cancel(); }));
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(store.Folder)[0]);
        var resumedRates = new List<double>();
        var resumed = Train(checkpoint.Info.Options, _unlearnable, scheduler, resume: checkpoint, rates: resumedRates);

        Assert.That(straightRates.Distinct().Count(), Is.GreaterThan(1), "the schedule changed the rate");
        Assert.That(resumedRates, Is.EqualTo(straightRates.Skip(13)));
        Assert.That(resumed.Weights, Is.EqualTo(straight.Weights));
    }

    [Test]
    public void Options_that_read_validation_data_refuse_to_train_without_it()
    {
        foreach (var options in new[]
                 {
                     Options() with { EarlyStopPatience = 2 }, Options() with { RestoreBestWeights = true },
                     Options() with { Schedule = LearningRateSchedule.ReduceOnPlateau() },
                 })
        {
            var error = Assert.Throws<ArgumentException>(() => Train(options, validation: null))!;
            Assert.That(error.Message, Does.Contain("pass validation data"));
        }
    }

    [Test]
    public void A_users_scheduler_beside_a_schedule_is_refused()
    {
        var options = Options() with { Schedule = LearningRateSchedule.Cosine(2) };

        var error = Assert.Throws<ArgumentException>(() => Train(options, null, o => optim.lr_scheduler.StepLR(o, 2)))!;

        Assert.That(error.Message, Does.Contain("leave the schedule constant"));
    }

    [Test]
    public void A_users_scheduler_on_another_optimizer_is_refused()
    {
        // Built on an optimizer of the user's, the scheduler would leave the trainer's rate at 0.01 for the whole run.
        using var other = new AdamOptimizer([new TorchSharp.Modules.Parameter(zeros(2))], 0.01);

        var error = Assert.Throws<ArgumentException>(() => Train(Options(), null, _ => optim.lr_scheduler.StepLR(other, 2)))!;

        Assert.That(error.ParamName, Is.EqualTo("Trainer.Scheduler"));
        Assert.That(error.Message, Does.StartWith("Trainer.Scheduler made a scheduler on another optimizer than the one it was given"));
    }

    [Test]
    public void The_device_the_options_name_is_the_device_trained_on()
    {
        // Without a GPU the data can only be on the CPU, so asking for CUDA must be refused rather than ignored.
        var error = Assert.Throws<ArgumentException>(() => Train(Options() with { Device = DeviceChoice.Cuda }, validation: null))!;

        Assert.That(error.Message, Does.StartWith("TrainingOptions.Device is Cuda but the training data is on cpu"));
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_model_moved_to_float64_and_back_keeps_and_restores_its_best_weights(StepExecution execution)
    {
        // A move replaces the parameters: the best weights must be copies of the parameters trained, not of the ones before.
        var options = Options(steps: 100, execution) with { EarlyStopPatience = 3, MinDelta = 10, RestoreBestWeights = true };
        var trainer = new Trainer(options);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        model.to(ScalarType.Float64).to(ScalarType.Float32);
        var result = trainer.Train(model, _train, _validation);
        var unmoved = Train(options, _validation);

        Assert.That(result.WeightsFromStep, Is.EqualTo(5));
        Assert.That(Weights(model), Is.EqualTo(unmoved.Weights));
    }
}
