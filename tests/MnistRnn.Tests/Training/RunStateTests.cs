using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>
/// Every stateful part of a run saves and restores its own section of a checkpoint, so a run cut at a checkpoint and resumed
/// ends as the uninterrupted one: a user's callback with state, the weight average (EMA), gradient accumulation and the
/// time budget, each in both step modes where the mode changes what is computed.
/// </summary>
[Category("Unit")]
public sealed class RunStateTests
{
    private SequenceDataset _data = null!;

    [OneTimeSetUp]
    public void MakeData() => _data = LearnableTasks.Brightness(seed: 4);

    [OneTimeTearDown]
    public void Release() => _data.Dispose();

    private static TrainingOptions Options(StepExecution execution = StepExecution.Synchronous) => new()
    {
        Cell = CellKind.Gru, Steps = 12, BatchSize = 8, HiddenSize = 6, Device = DeviceChoice.Cpu, StepExecution = execution,
        CheckpointEvery = 5, StallWindow = 0, ValidateEvery = 3,
        Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
    };

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    // A user's callback with state: how many steps had a loss below the running mean of the losses before them.
    private sealed class BetterThanAverage : TrainingCallback
    {
        public int Count { get; private set; }
        public double LossSum { get; private set; }
        public int Steps { get; private set; }

        public override void OnStepReported(TrainingContext context, StepMetrics metrics)
        {
            if (Steps > 0 && metrics.Loss < LossSum / Steps) Count++;
            LossSum += metrics.Loss;
            Steps++;
        }

        public override void SaveState(StateSection state)
        {
            state.SaveValue("count", Count);
            state.SaveValue("loss_sum", LossSum);
            state.SaveValue("steps", Steps);
        }

        public override void LoadState(StateSection state)
        {
            Count = state.LoadValue<int>("count");
            LossSum = state.LoadValue<double>("loss_sum");
            Steps = state.LoadValue<int>("steps");
        }
    }

    // Trains to options.Steps, with the given callbacks and a checkpoint store in folder; resumes the checkpoint given.
    private TrainingResult Train(TrainingOptions options, RecurrentClassifier model, string folder, Checkpoint? resume = null, SequenceDataset? validation = null,
        params TrainingCallback[] callbacks)
    {
        var trainer = new Trainer(options) { Callbacks = [new CheckpointStore(folder), .. callbacks] };
        return trainer.Train(model, _data, validation, resume: resume);
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_callback_that_saves_its_state_ends_a_resumed_run_with_the_uninterrupted_runs_count(StepExecution execution)
    {
        using var folder = new TempFolder();
        var options = Options(execution);
        var whole = new BetterThanAverage();
        var trainer = new Trainer(options);
        using (var model = trainer.CreateModel(_data)) Train(options, model, folder.File("whole"), callbacks: whole);

        using (var model = trainer.CreateModel(_data)) Train(options with { Steps = 5 }, model, folder.File("cut"), callbacks: new BetterThanAverage());
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(folder.File("cut"))[0]);
        var resumed = new BetterThanAverage();
        using (var model = trainer.CreateModel(_data)) Train(options, model, folder.File("cut"), checkpoint, callbacks: resumed);

        Assert.That(whole.Steps, Is.EqualTo(12));
        Assert.That(whole.Count, Is.GreaterThan(0));
        Assert.That((resumed.Count, resumed.Steps, resumed.LossSum), Is.EqualTo((whole.Count, whole.Steps, whole.LossSum)));
        Assert.That(checkpoint.SectionNames, Does.Contain("callback.BetterThanAverage"));
    }

    [Test]
    public void A_callback_that_saves_nothing_has_no_section_and_two_that_save_under_one_key_are_refused()
    {
        using var folder = new TempFolder();
        var options = Options() with { Steps = 5 };
        var trainer = new Trainer(options);
        using (var model = trainer.CreateModel(_data)) Train(options, model, folder.File("plain"), callbacks: new TrainingObserver());
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(folder.File("plain"))[0]);
        Assert.That(checkpoint.SectionNames.Where(s => s.StartsWith("callback.", StringComparison.Ordinal)), Is.Empty);

        using var twice = trainer.CreateModel(_data);
        var error = Assert.Throws<ArgumentException>(() => Train(options, twice, folder.File("twice"), callbacks: [new BetterThanAverage(), new BetterThanAverage()]))!;
        Assert.That(error.Message, Does.Contain("two callbacks of this run have the StateKey 'BetterThanAverage'"));
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void The_weight_average_is_what_training_ends_with_what_a_checkpoint_builds_and_what_a_resume_continues(StepExecution execution)
    {
        using var folder = new TempFolder();
        const double decay = 0.8;
        var options = Options(execution) with { EmaDecay = decay };
        var trainer = new Trainer(options);
        // The average computed by hand from the weights after every step.
        using var model = trainer.CreateModel(_data);
        float[] expected = Weights(model);
        var watch = new AfterEachStep(m =>
        {
            var weights = Weights(m);
            for (int i = 0; i < expected.Length; i++) expected[i] = (float)(decay * expected[i] + (1 - decay) * weights[i]);
        });
        var whole = Train(options, model, folder.File("whole"), callbacks: watch);
        var trained = Weights(model);

        Assert.That(trained, Is.EqualTo(expected).Within(1e-5));
        using (var rebuilt = CheckpointFile.Read(whole.LastCheckpoint!).CreateModel()) Assert.That(Weights(rebuilt), Is.EqualTo(trained));

        using (var cut = trainer.CreateModel(_data)) Train(options with { Steps = 5 }, cut, folder.File("cut"));
        using var resumed = trainer.CreateModel(_data);
        Train(options, resumed, folder.File("cut"), CheckpointFile.Read(CheckpointStore.List(folder.File("cut"))[0]));
        Assert.That(Weights(resumed), Is.EqualTo(trained));
    }

    [Test]
    public void With_a_weight_average_validation_and_the_best_weights_are_the_averages()
    {
        using var folder = new TempFolder();
        using var validation = LearnableTasks.Brightness(seed: 5);
        var options = Options() with { EmaDecay = 0.9 };
        var trainer = new Trainer(options);
        using var model = trainer.CreateModel(_data);

        var result = Train(options, model, folder.File("run"), validation: validation);

        // The model ends holding the average, so evaluating it reproduces the last validation, taken of the average.
        var last = result.Validations[^1];
        Assert.That(last.Step, Is.EqualTo(12));
        Assert.That(ModelEvaluation.Evaluate(model, validation).Loss, Is.EqualTo(last.Loss).Within(1e-6));
    }

    // The library's weight average is a callback on public moments; one a user writes on them trains to the same bits.
    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_weight_average_written_on_the_public_callback_moments_trains_as_the_built_in_one(StepExecution execution)
    {
        using var validation = LearnableTasks.Brightness(seed: 5);
        var options = Options(execution) with { CheckpointEvery = 0 };
        var builtIn = new Trainer(options with { EmaDecay = 0.8 });
        using var first = builtIn.CreateModel(_data);
        var expected = builtIn.Train(first, _data, validation);
        var own = new Trainer(options) { Callbacks = [new UsersWeightAverage(0.8)] };
        using var second = own.CreateModel(_data);

        var result = own.Train(second, _data, validation);

        Assert.That(Weights(second), Is.EqualTo(Weights(first)));
        Assert.That(result.Validations.Select(v => v.Loss), Is.EqualTo(expected.Validations.Select(v => v.Loss)));
    }

    private sealed class UsersWeightAverage(double decay) : TrainingCallback
    {
        private Tensor[] _average = [];
        private Tensor[] _own = [];

        public override void OnTrainingStart(TrainingContext context) =>
            _average = context.Model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();

        public override void OnUpdate(TrainingContext context, Tensor? applied)
        {
            using var noGrad = no_grad();
            foreach (var (average, weight) in _average.Zip(context.Model.parameters()))
            {
                if (applied is null) average.mul_(decay).add_(weight, 1 - decay);
                else average.lerp_(weight, applied.to(average.dtype).mul_(1 - decay));
            }
        }

        public override void OnValidationStart(TrainingContext context)
        {
            _own = context.Model.parameters().Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
            Copy(_average, context.Model);
        }

        public override void OnValidationEnd(TrainingContext context, ValidationRecord validation) => CopyAndRelease(_own, context.Model);

        public override void OnTrainingEnd(TrainingContext context, TrainingResult result) => CopyAndRelease(_average, context.Model);

        private static void Copy(Tensor[] from, RecurrentClassifier model)
        {
            using var noGrad = no_grad();
            foreach (var (weight, value) in model.parameters().Zip(from)) weight.copy_(value);
        }

        // Copies, then frees the copies: a validation's kept weights, or the average once it is handed over.
        private static void CopyAndRelease(Tensor[] from, RecurrentClassifier model)
        {
            Copy(from, model);
            foreach (var tensor in from) tensor.Dispose();
        }
    }

    private sealed class AfterEachStep(Action<RecurrentClassifier> action) : TrainingCallback
    {
        public override void OnStepEnd(TrainingContext context) => action(context.Model);
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Accumulating_k_batches_trains_as_one_batch_k_times_as_large(StepExecution execution)
    {
        // 96 items: batches of 24, or 3 accumulated batches of 8, cover each epoch in the same order.
        var large = Options(execution) with { BatchSize = 24, Steps = 8, CheckpointEvery = 0, ClipNorm = 0.5 };
        var accumulated = large with { BatchSize = 8, AccumulateBatches = 3 };
        var trainer = new Trainer(large);
        using var one = trainer.CreateModel(_data);
        using var three = trainer.CreateModel(_data);
        var losses = new List<double>[] { [], [] };

        new Trainer(large) { Callbacks = [new TrainingObserver { StepCompleted = m => losses[0].Add(m.Loss) }] }.Train(one, _data);
        var result = new Trainer(accumulated) { Callbacks = [new TrainingObserver { StepCompleted = m => losses[1].Add(m.Loss) }] }.Train(three, _data);

        // Sums in another order round differently; 8 steps leave them within 1e-5 of each other.
        Assert.That(Weights(three), Is.EqualTo(Weights(one)).Within(1e-5));
        Assert.That(losses[1], Is.EqualTo(losses[0]).Within(1e-5));
        Assert.That(losses[1], Has.Count.EqualTo(8));
        Assert.That(result.BatchSize, Is.EqualTo(24), "samples per second count every sequence of a step");
    }

    [Test]
    public void A_time_budget_stops_after_the_step_that_spends_it_writes_its_checkpoint_and_a_larger_one_continues()
    {
        using var folder = new TempFolder();
        var options = Options() with { Steps = 1000, MaxTime = TimeSpan.FromMilliseconds(1) };
        var trainer = new Trainer(options);
        using var model = trainer.CreateModel(_data);

        var stopped = Train(options, model, folder.Path);

        Assert.That((stopped.LastStepNumber, stopped.StoppedEarly, stopped.StoppedBy), Is.EqualTo((1, true, TrainingStop.TimeBudget)));
        var checkpoint = CheckpointFile.Read(stopped.LastCheckpoint!);
        Assert.That(checkpoint.Info.Step, Is.EqualTo(1));
        Assert.That(checkpoint.TrainingTime, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1)));
        var spent = CheckpointResume.Problems(options, checkpoint).Single();
        Assert.That((spent.Kind, spent.Setting), Is.EqualTo((ResumeProblemKind.NothingToTrain, nameof(TrainingOptions.MaxTime))));

        var longer = options with { Steps = 3, MaxTime = TimeSpan.FromHours(1) };
        using var resumed = trainer.CreateModel(_data);
        var continued = Train(longer, resumed, folder.Path, checkpoint);
        Assert.That((continued.LastStepNumber, continued.StoppedBy), Is.EqualTo((3, TrainingStop.AllSteps)));
    }

    [Test]
    public void The_stall_warnings_window_survives_a_resume_so_it_warns_where_the_uninterrupted_run_does()
    {
        using var folder = new TempFolder();
        // A learning rate too small to move the loss off chance: the warning is due after the tenth step.
        var options = Options() with { LearningRate = 1e-7, StallWindow = 10, Steps = 16 };
        var trainer = new Trainer(options);
        var stalls = new List<int>[] { [], [] };

        using (var model = trainer.CreateModel(_data))
            Train(options, model, folder.File("whole"), callbacks: new TrainingObserver { StallDetected = s => stalls[0].Add(s.Step) });
        using (var model = trainer.CreateModel(_data)) Train(options with { Steps = 6 }, model, folder.File("cut"));
        using (var model = trainer.CreateModel(_data))
            Train(options, model, folder.File("cut"), CheckpointFile.Read(CheckpointStore.List(folder.File("cut"))[0]),
                callbacks: new TrainingObserver { StallDetected = s => stalls[1].Add(s.Step) });

        Assert.That(stalls[0], Is.EqualTo(new[] { 10 }));
        Assert.That(stalls[1], Is.EqualTo(stalls[0]));
    }

    private sealed class Verbose : TrainingCallback
    {
        public override void SaveState(StateSection state) => state.SaveValue("notes", new string('x', 2 << 20));
    }

    [Test]
    public void State_too_large_to_read_back_is_not_written()
    {
        using var folder = new TempFolder();
        var options = Options() with { Steps = 5 };
        using var model = new Trainer(options).CreateModel(_data);

        var error = Assert.Throws<InvalidOperationException>(() => Train(options, model, folder.Path, callbacks: new Verbose()))!;

        Assert.That(error.Message, Does.Contain("a checkpoint may hold; save less state in the callbacks' sections."));
        Assert.That(CheckpointStore.List(folder.Path), Is.Empty);
    }

    // A running best that starts, as the library guide's example does, at +Infinity, with a NaN seen once.
    private sealed class BestLoss : TrainingCallback
    {
        public double Best { get; private set; } = double.PositiveInfinity;
        public double Worst { get; private set; } = double.NaN;
        public object? Extra { get; init; }

        public override void OnStepReported(TrainingContext context, StepMetrics metrics) => Best = Math.Min(Best, metrics.Loss);

        public override void SaveState(StateSection state)
        {
            state.SaveValue("best", Best);
            state.SaveValue("worst", Worst);
            state.SaveValue("floor", double.NegativeInfinity);
            if (Extra is not null) state.SaveValue("extra", Extra);
        }

        public override void LoadState(StateSection state)
        {
            Best = state.LoadValue<double>("best");
            Worst = state.LoadValue<double>("worst");
            Assert.That(state.LoadValue<double>("floor"), Is.EqualTo(double.NegativeInfinity));
        }
    }

    [Test]
    public void A_callback_state_of_non_finite_numbers_is_saved_and_resumed()
    {
        using var folder = new TempFolder();
        var options = Options() with { Steps = 5, CheckpointEvery = 0 };
        var first = new BestLoss();
        var trainer = new Trainer(options);
        using (var model = trainer.CreateModel(_data)) Train(options, model, folder.Path, callbacks: first);
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(folder.Path)[0]);

        var resumed = new BestLoss();
        using var again = trainer.CreateModel(_data);
        Train(options with { Steps = 6 }, again, folder.File("resumed"), checkpoint, callbacks: resumed);

        Assert.That(double.IsNaN(resumed.Worst), Is.True, "NaN came back as NaN");
        Assert.That(resumed.Best, Is.LessThanOrEqualTo(first.Best));
    }

    private sealed class Node
    {
        public Node? Next { get; set; }
    }

    [Test]
    public void A_callback_state_a_checkpoint_cannot_hold_is_refused_before_the_first_step_naming_the_callback_and_value()
    {
        var cycle = new Node();
        cycle.Next = cycle;
        foreach (object extra in new object[] { new Action(() => { }), cycle })
        {
            using var folder = new TempFolder();
            var trainer = new Trainer(Options());
            using var model = trainer.CreateModel(_data);
            int steps = 0;

            var error = Assert.Throws<ArgumentException>(() => Train(Options(), model, folder.Path, callbacks:
                [new TrainingObserver { StepCompleted = _ => steps++ }, new BestLoss { Extra = extra }]))!;

            Assert.That(error.Message, Does.StartWith($"section callback.BestLoss: value extra ({extra.GetType().Name}) cannot be saved in a checkpoint (")
                .And.EndWith("save numbers, strings, booleans, or records and lists of them."));
            Assert.That(steps, Is.Zero, "refused before training, not when a checkpoint was due");
            Assert.That(CheckpointStore.List(folder.Path), Is.Empty);
        }
    }

    [Test]
    public void A_checkpoint_folder_that_is_a_file_is_one_sentence_naming_it()
    {
        using var folder = new TempFolder();
        string file = folder.File("a-file");
        File.WriteAllText(file, "not a folder");

        var here = Assert.Throws<IOException>(() => new CheckpointStore(file))!;
        var below = Assert.Throws<IOException>(() => new CheckpointStore(Path.Combine(file, "runs")))!;

        Assert.That(here.Message, Is.EqualTo($"cannot keep checkpoints in {file}: it is a file, not a folder; choose a folder."));
        Assert.That(below.Message, Is.EqualTo($"cannot keep checkpoints in {Path.Combine(file, "runs")}: {file} is a file, not a folder; choose a path in a folder."));
    }
}
