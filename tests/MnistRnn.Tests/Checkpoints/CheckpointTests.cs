using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Checkpoints;

[Category("Unit")]
public sealed class CheckpointTests
{
    private TempFolder _folder = null!;
    private SequenceDataset _data = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _data = LearnableTasks.Brightness(seed: 21);
    }

    [TearDown]
    public void TearDown()
    {
        _data.Dispose();
        _folder.Dispose();
    }

    private static TrainingOptions Options(int steps = 20, int checkpointEvery = 5) => new()
    {
        Cell = CellKind.Lstm,
        Steps = steps,
        BatchSize = 16,
        HiddenSize = 8,
        CheckpointEvery = checkpointEvery,
        Device = DeviceChoice.Cpu,
        Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
    };

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    private string Sub(string name) => Path.Combine(_folder.Path, name);

    [Test]
    public void A_run_interrupted_and_resumed_ends_with_exactly_the_weights_of_an_uninterrupted_one()
    {
        var straight = new Trainer(Options(), null) { Callbacks = [new CheckpointStore(Sub("straight"))] };
        using var straightModel = straight.CreateModel(CPU, inputSize: 4, classes: 2);
        straight.Train(straightModel, _data);

        // Interrupted after step 8 (not a multiple of checkpoint-every): the checkpoint is written on cancellation.
        var interrupted = new Trainer(Options(), null) { Callbacks = [new CheckpointStore(Sub("interrupted"))] };
        using var interruptedModel = interrupted.CreateModel(CPU, inputSize: 4, classes: 2);
        using var cancellation = new CancellationTokenSource();
        interrupted.Callbacks.Add(new TrainingObserver { StepCompleted = m => { if (m.Step == 8) cancellation.Cancel(); } });
        var stopped = Assert.Throws<TrainingCanceledException>(() => interrupted.Train(interruptedModel, _data, cancellation.Token))!;
        // The exception says where the run stands; nothing needs to be read from the trainer.
        Assert.That(stopped.CompletedSteps, Is.EqualTo(8));
        Assert.That(stopped.LastCheckpoint, Is.EqualTo(Path.Combine(Sub("interrupted"), "checkpoint-step-0000008.ckpt")));

        var checkpoint = CheckpointFile.Read(stopped.LastCheckpoint!);
        var resumed = new Trainer(checkpoint.Info.Options, null) { Callbacks = [new CheckpointStore(Sub("interrupted"))] };
        using var resumedModel = resumed.CreateModel(CPU, inputSize: 4, classes: 2);
        var steps = new List<int>();
        resumed.Callbacks.Add(new TrainingObserver { StepCompleted = m => steps.Add(m.Step) });
        var result = resumed.Train(resumedModel, _data, resume: checkpoint);

        Assert.That(steps, Is.EqualTo(Enumerable.Range(9, 12)));
        Assert.That(result.Steps, Is.EqualTo(12));
        Assert.That(Weights(resumedModel), Is.EqualTo(Weights(straightModel)));
        Assert.That(ModelEvaluation.Evaluate(resumedModel, _data), Is.EqualTo(ModelEvaluation.Evaluate(straightModel, _data)));
    }

    [Test]
    public void Only_the_newest_checkpoints_are_kept()
    {
        var trainer = new Trainer(Options(steps: 12, checkpointEvery: 2), null) { Callbacks = [new CheckpointStore(Sub("kept"), keep: 2)] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);

        trainer.Train(model, _data);

        Assert.That(Directory.GetFiles(Sub("kept")).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "checkpoint-step-0000010.ckpt", "checkpoint-step-0000012.ckpt" }));
    }

    [Test]
    public void A_write_that_dies_midway_leaves_the_previous_checkpoint_whole_and_no_partial_file()
    {
        var store = new CheckpointStore(Sub("crash"));
        var trainer = new Trainer(Options(steps: 10, checkpointEvery: 5), null) { Callbacks = [store] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        trainer.Callbacks.Add(new FailingState(failAtStep: 10));

        Assert.Throws<IOException>(() => trainer.Train(model, _data));

        Assert.That(Directory.GetFiles(Sub("crash")).Select(Path.GetFileName), Is.EqualTo(new[] { "checkpoint-step-0000005.ckpt" }));
        var survivor = CheckpointFile.Read(Path.Combine(Sub("crash"), "checkpoint-step-0000005.ckpt"));
        Assert.That(survivor.Info.Step, Is.EqualTo(5));
    }

    [Test]
    public void A_checkpoint_records_the_run_and_the_software_that_wrote_it()
    {
        var options = Options(steps: 3) with { LearningRate = 0.005, ClipNorm = null, ClipValue = 0.5, Order = SequenceOrder.Rows, Seed = 9 };
        var trainer = new Trainer(options, null) { Callbacks = [new CheckpointStore(Sub("info"))] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        var before = DateTimeOffset.UtcNow;

        var trained = trainer.Train(model, _data);
        var info = CheckpointFile.Read(trained.LastCheckpoint!).Info;

        Assert.That(info.Step, Is.EqualTo(3));
        // The device and the thread count are the machine's, not the run's: the thread count is recorded beside the settings.
        Assert.That(info.Options, Is.EqualTo(options with { Device = DeviceChoice.Auto, Threads = null }));
        Assert.That(info.Threads, Is.EqualTo(1));
        Assert.That((info.InputSize, info.Classes, info.ItemRows, info.ItemColumns, info.TrainCount), Is.EqualTo((4, 2, 5, 4, 96)));
        // The library's own version, as the package and CHANGELOG.md number it.
        string version = typeof(Trainer).Assembly.GetName().Version!.ToString(3);
        Assert.That(info.LibraryVersion, Does.StartWith(version + "+").Or.EqualTo(version));
        Assert.That(info.TorchSharpVersion, Does.StartWith("0.107"));
        Assert.That(info.LibTorchVersion, Does.StartWith("2."));
        Assert.That(info.Device, Is.EqualTo("cpu"));
        Assert.That(info.CreatedUtc, Is.InRange(before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1)));
    }

    [Test]
    public void The_model_built_from_a_checkpoint_predicts_as_the_trained_one()
    {
        var trainer = new Trainer(Options(steps: 5), null) { Callbacks = [new CheckpointStore(Sub("model"))] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        var trained = trainer.Train(model, _data);

        using var loaded = CheckpointFile.Read(trained.LastCheckpoint!).CreateModel();

        Assert.That(Weights(loaded), Is.EqualTo(Weights(model)));
        Assert.That(loaded.Cell, Is.EqualTo(CellKind.Lstm));
    }

    private string WriteOne()
    {
        var trainer = new Trainer(Options(steps: 2), null) { Callbacks = [new CheckpointStore(Sub("one"))] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        var trained = trainer.Train(model, _data);
        return trained.LastCheckpoint!;
    }

    private static string ReadError(string path) => Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path))!.Message;

    [Test]
    public void A_flipped_byte_is_reported_as_corruption()
    {
        string path = WriteOne();
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        Assert.That(ReadError(path), Is.EqualTo($"{path}: the checkpoint is truncated or corrupt (its SHA-256 does not match its contents)."));
    }

    [Test]
    public void A_truncated_file_is_reported_as_truncated()
    {
        string path = WriteOne();
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);

        Assert.That(ReadError(path), Does.Contain("truncated or corrupt"));
    }

    [TestCase(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0 })]
    [TestCase(new byte[] { (byte)'M', (byte)'N', (byte)'R' })]
    public void A_file_that_is_not_a_checkpoint_says_so(byte[] content)
    {
        string path = Sub("foreign.ckpt");
        File.WriteAllBytes(path, content);

        Assert.That(ReadError(path), Is.EqualTo($"{path}: not an MnistRnn checkpoint (it does not start with \"MNRNNCKP\")."));
    }

    [Test]
    public void An_empty_file_is_refused_before_it_is_read()
    {
        string path = Sub("empty.ckpt");
        File.WriteAllBytes(path, []);

        Assert.That(ReadError(path), Is.EqualTo($"{path} is empty or not a regular file (a pipe or a device); give a checkpoint file."));
    }

    [Test]
    public void A_missing_file_says_so() =>
        Assert.That(ReadError(Sub("none.ckpt")), Is.EqualTo($"{Sub("none.ckpt")}: no such checkpoint file."));

    [Test]
    public void Resuming_into_another_architecture_names_both()
    {
        var checkpoint = CheckpointFile.Read(WriteOne());
        var resumed = new Trainer(checkpoint.Info.Options with { Steps = checkpoint.Info.Step + 2 }, null);
        using var wider = new RecurrentClassifier(CellKind.Lstm, inputSize: 4, hiddenSize: 16, classes: 2);

        var error = Assert.Throws<CheckpointException>(() => resumed.Train(wider, _data, resume: checkpoint))!;

        Assert.That(error.Message, Does.Contain("is for a lstm, hidden 8, 4 input features, 2 classes, rows order model, not lstm, hidden 16"));
    }

    [Test]
    public void Resuming_with_other_options_names_the_property()
    {
        var checkpoint = CheckpointFile.Read(WriteOne());
        var wider = new Trainer(Options() with { HiddenSize = 16 }, null);
        using var model = wider.CreateModel(CPU, inputSize: 4, classes: 2);

        var error = Assert.Throws<CheckpointException>(() => wider.Train(model, _data, resume: checkpoint))!;

        Assert.That(error.Message, Does.Contain("TrainingOptions.HiddenSize is 16 but the checkpoint's run used 8"));
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Non_finite_losses_skip_their_updates_and_stop_training_after_the_limit(StepExecution execution)
    {
        using var poisoned = new DatasetSplit(full(96, 5, 4, float.NaN), zeros(96, ScalarType.Int64));
        var trainer = new Trainer(Options() with { MaxNonFiniteSteps = 3, StepExecution = execution }, null);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        float[] before = Weights(model);
        var skipped = new List<bool>();
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = m => skipped.Add(m.UpdateSkipped) });

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(model, poisoned))!;

        Assert.That(error.Step, Is.EqualTo(3));
        Assert.That(error.Message, Does.StartWith("Training diverged: steps 1 to 3 all had a non-finite loss or gradient"));
        Assert.That(skipped, Is.EqualTo(new[] { true, true }), "the third step stops before its metrics are published");
        Assert.That(Weights(model), Is.EqualTo(before), "no update was applied");
    }

    [Test]
    public void A_run_that_ends_inside_a_run_of_non_finite_steps_has_diverged_too()
    {
        using var poisoned = new DatasetSplit(full(96, 5, 4, float.NaN), zeros(96, ScalarType.Int64));
        var trainer = new Trainer(Options() with { Steps = 2, MaxNonFiniteSteps = 10 }, null) { Callbacks = [new CheckpointStore(_folder.Path)] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(model, poisoned))!;

        Assert.That(error.Message, Does.StartWith("Training diverged: steps 1 to 2 all had a non-finite loss or gradient"));
        Assert.That(CheckpointStore.List(_folder.Path), Is.Empty, "no checkpoint of a diverged state");
    }

    [Test]
    public void A_diverged_runs_message_names_the_settings_as_the_trainers_setting_name_does()
    {
        using var poisoned = new DatasetSplit(full(96, 5, 4, float.NaN), zeros(96, ScalarType.Int64));
        var trainer = new Trainer(Options() with { Steps = 2 }, null) { SettingName = property => $"--{property.ToLowerInvariant()}" };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(model, poisoned))!;

        Assert.That(error.Message, Does.EndWith("Lower --learningrate or clip tighter with --clipnorm."));
    }

    /// <summary>A callback whose state cannot be saved after a given step, as if the disk filled while its checkpoint was being written.</summary>
    private sealed class FailingState(int failAtStep) : TrainingCallback
    {
        private int _step;

        public override void OnStepReported(TrainingContext context, StepMetrics metrics) => _step = metrics.Step;

        public override void SaveState(StateSection state)
        {
            if (_step >= failAtStep) throw new IOException("simulated failure mid-write");
            state.SaveValue("step", _step);
        }
    }
}
