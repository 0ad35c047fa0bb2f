using MnistRnn.Checkpoints;
using Microsoft.Extensions.Logging;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

[Category("Unit")]
public sealed class TrainerTests
{
    private static Trainer TinyTrainer(CellKind kind, int steps, ILogger<Trainer>? logger = null, LogCadence? cadence = null, int hidden = 16) =>
        new(new TrainingOptions
        {
            Cell = kind,
            Steps = steps,
            BatchSize = 16,
            HiddenSize = hidden,
            Device = DeviceChoice.Cpu,
            LogCadence = cadence ?? LogCadence.Experiment,
            // A load reading could choose another count, and say so in a log line these tests count.
            Threads = 1,
        }, logger);

    [TestCase(CellKind.Rnn)]
    [TestCase(CellKind.Lstm)]
    [TestCase(CellKind.Gru)]
    public void Training_lowers_the_loss_on_a_learnable_task(CellKind kind)
    {
        using var data = LearnableTasks.BrightestRow(256, seed: 5);
        // 32 units: with 16, the LSTM learned this task in 150 steps on one CPU and stayed near chance on another
        // (accuracy 0.37 to 0.50 over seeds 1 to 5, and no better after 600 steps); with 32, every cell and seed 1 to 5
        // ends with its loss cut to 0.07 to 0.14 of the start and accuracy 0.93 to 0.98.
        var trainer = TinyTrainer(kind, steps: 150, hidden: 32);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var before = ModelEvaluation.Evaluate(model, data);
        var steps = new List<int>();
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = m => steps.Add(m.Step) });

        var result = trainer.Train(model, data);
        var after = ModelEvaluation.Evaluate(model, data);

        Assert.That(result.Steps, Is.EqualTo(150));
        Assert.That(result.LastStep.Step, Is.EqualTo(150));
        Assert.That(steps, Is.EqualTo(Enumerable.Range(1, 150)));
        Assert.That(after.Loss, Is.LessThan(before.Loss * 0.5), $"loss {before.Loss:F3} -> {after.Loss:F3}");
        Assert.That(after.Accuracy, Is.GreaterThan(0.9));
    }

    [Test]
    public void The_same_configuration_trains_bit_for_bit_alike_twice_in_one_process()
    {
        // What this project promises to repeat exactly: the same seed, build, machine and thread count. The
        // experiment's shapes (28x28, batch 100, 128 units), so that libtorch splits its kernels across threads.
        using var scope = NewDisposeScope();
        using var generator = new Generator(4);
        using var data = new DatasetSplit(rand([300, 28, 28], generator: generator), randint(0, 10, [300], ScalarType.Int64, generator: generator));
        (long[] Losses, long[] GradNorms, int[] Weights) Train()
        {
            var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Lstm, Steps = 30, Device = DeviceChoice.Cpu, LogCadence = LogCadence.EveryNSteps(1) });
            using var model = trainer.CreateModel(CPU, inputSize: 28, classes: 10);
            var steps = new List<StepMetrics>();
            trainer.Callbacks.Add(new TrainingObserver { StepCompleted = steps.Add });
            trainer.Train(model, data);
            return (steps.Select(m => BitConverter.DoubleToInt64Bits(m.Loss)).ToArray(),
                steps.Select(m => BitConverter.DoubleToInt64Bits(m.GradNorm)).ToArray(),
                model.parameters().SelectMany(p => p.data<float>().ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray());
        }

        var first = Train();
        var second = Train();

        Assert.That(first.Losses, Has.Length.EqualTo(30));
        Assert.That(second.Losses, Is.EqualTo(first.Losses), "loss of every step, bit for bit");
        Assert.That(second.GradNorms, Is.EqualTo(first.GradNorms), "gradient norm of every step, bit for bit");
        Assert.That(second.Weights, Is.EqualTo(first.Weights), "final weights, bit for bit");
    }

    [Test]
    public void A_second_train_of_a_trained_model_is_refused_with_how_to_continue_and_a_resume_is_not()
    {
        using var data = LearnableTasks.BrightestRow(64, seed: 3);
        using var folder = new TempFolder();
        var trainer = new Trainer(TinyTrainer(CellKind.Gru, steps: 4).Options) { Callbacks = [new CheckpointStore(folder.Path)] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        // A call refused before training leaves the model untrained.
        Assert.Throws<ArgumentException>(() => new Trainer(trainer.Options with { BatchSize = 65 }).Train(model, data));
        trainer.Train(model, data);
        float[] trained = model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => trainer.Train(model, data))!;

        Assert.That(error.Message, Does.StartWith("this model was already trained by Trainer.Train").And.Contain("pass the run's checkpoint as resume"));
        Assert.That(model.parameters().SelectMany(p => p.data<float>().ToArray()), Is.EqualTo(trained), "nothing trained");
        var longer = new Trainer(trainer.Options with { Steps = 6 });
        Assert.That(longer.Train(model, data, resume: CheckpointFile.Read(CheckpointStore.List(folder.Path)[0])).LastStepNumber, Is.EqualTo(6));
    }

    [Test]
    public void Live_tensors_do_not_grow_across_training_steps()
    {
        using var data = LearnableTasks.BrightestRow(128, seed: 3);
        var trainer = TinyTrainer(CellKind.Lstm, steps: 60);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var live = new List<long>();
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = _ => live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount) });

        trainer.Train(model, data);

        // Sampled inside each step's scope, so the count includes that step's tensors; it must not climb.
        Assert.That(live.Skip(10).Distinct().Count(), Is.EqualTo(1), string.Join(", ", live));
    }

    [Test]
    public void Step_lines_follow_the_experiments_format_and_cadence()
    {
        using var data = LearnableTasks.BrightestRow(256, seed: 4);
        var log = new ListLogger<Trainer>();
        var trainer = TinyTrainer(CellKind.Rnn, steps: 250, log);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);

        trainer.Train(model, data);
        trainer.Evaluate(model, data);

        Assert.That(log.Messages, Has.Count.EqualTo(4));
        Assert.That(log.Messages[0], Does.Match(
            @"^step 100, loss \d+\.\d{5}, accuracy \d\.\d{3}, mean of rnn weight -?\d+\.\d{5}, mean of rnn out -?\d+\.\d{5}, grad norm \d+\.\d{5}, saturation \d\.\d{3}$"));
        Assert.That(log.Messages[1], Does.StartWith("step 200, "));
        Assert.That(log.Messages[2], Does.StartWith("step 250, "));
        Assert.That(log.Messages[3], Does.Match(@"^final loss \d+\.\d{5}, accuracy \d\.\d{5}$"));
    }

    [Test]
    public void Metrics_record_clipping_against_the_norm_before_clipping()
    {
        using var data = LearnableTasks.BrightestRow(64, seed: 6);
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Rnn, Steps = 10, BatchSize = 16, HiddenSize = 8, ClipNorm = 1e-3 });
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var history = new List<StepMetrics>();
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = history.Add });

        trainer.Train(model, data);

        Assert.That(history.All(m => m.Clipped == m.GradNorm > 1e-3), Is.True);
        Assert.That(history.Count(m => m.Clipped), Is.GreaterThan(0));
    }

    [Test]
    public void Cancellation_stops_before_the_next_step()
    {
        using var data = LearnableTasks.BrightestRow(64, seed: 7);
        var trainer = TinyTrainer(CellKind.Gru, steps: 1000);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        using var cancellation = new CancellationTokenSource();
        int steps = 0;
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = m => { steps = m.Step; if (m.Step == 3) cancellation.Cancel(); } });

        Assert.Throws<TrainingCanceledException>(() => trainer.Train(model, data, cancellation.Token));
        Assert.That(steps, Is.EqualTo(3));
    }

    [Test]
    public void State_statistics_are_measured_on_logged_steps_only()
    {
        using var data = LearnableTasks.BrightestRow(64, seed: 8);
        var trainer = TinyTrainer(CellKind.Lstm, steps: 12, cadence: LogCadence.EveryNSteps(5));
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var measured = new List<int>();
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = m => { if (m.State is not null) measured.Add(m.Step); } });

        trainer.Train(model, data);

        Assert.That(measured, Is.EqualTo(new[] { 5, 10, 12 }));
    }

    [Test]
    public void Gradient_flow_is_measured_before_training_and_after_the_chosen_steps()
    {
        using var data = LearnableTasks.BrightestRow(64, seed: 9);
        var trainer = new Trainer(new TrainingOptions
        {
            Cell = CellKind.Rnn,
            Steps = 6,
            BatchSize = 16,
            HiddenSize = 8,
            GradientFlowSteps = [0, 3, 6],
        });
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var flows = new List<MnistRnn.Diagnostics.GradientFlowMeasurement>();
        trainer.Callbacks.Add(new TrainingObserver { GradientFlowMeasured = flows.Add });

        trainer.Train(model, data);

        Assert.That(flows.Select(f => f.Step), Is.EqualTo(new[] { 0, 3, 6 }));
        Assert.That(flows.Select(f => f.Norms.Count), Is.All.EqualTo(4), "one norm per row of the 4x4 images");
        Assert.That(flows[0].Norms, Is.Not.EqualTo(flows[2].Norms), "training changed the model between measurements");
    }

    [Test]
    public void Labels_that_cannot_be_learned_raise_one_stall_warning()
    {
        using var task = LearnableTasks.BrightestRow(256, seed: 10);
        // The same images with labels drawn at random: nothing to learn, so the loss stays near ln 4.
        using var noise = new SequenceDataset(task.Sequences.clone(), randint(0, 4, [256], ScalarType.Int64, generator: new Generator(11)), classes: 4);
        var log = new ListLogger<Trainer>();
        var trainer = new Trainer(new TrainingOptions { Cell = CellKind.Rnn, Steps = 60, BatchSize = 16, HiddenSize = 8, LearningRate = 1e-4, StallWindow = 20 }, log);
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var stalls = new List<MnistRnn.Diagnostics.Stall>();
        trainer.Callbacks.Add(new TrainingObserver { StallDetected = stalls.Add });

        trainer.Train(model, noise);

        Assert.That(stalls, Has.Count.EqualTo(1));
        Assert.That(stalls[0].Step, Is.EqualTo(20));
        Assert.That(log.Messages.Count(m => m.StartsWith("step 20: training has stalled", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [TestCase(SequenceOrder.Pixels)]
    [TestCase(SequenceOrder.Permuted)]
    public void Pixel_orders_learn_from_one_pixel_per_step(SequenceOrder order)
    {
        // The class is the row of the brightest pixel, but this model reads one pixel per step (input size 1,
        // which a row would not fit), so it must remember when the bright pixel went by: 16 steps for a 4x4
        // image, in reading order or in the fixed shuffle. Measured with seeds 1 to 3: chance (0.23 to 0.26)
        // before training, 1.000 and a loss of 0.005 to 0.012 (from 1.39) after 300 steps, in both orders.
        using var task = LearnableTasks.BrightestRow(512, seed: 12);
        // Pixel orders are for images: the MNIST side of the library reads them as sequences in the options' order.
        using var data = new DatasetSplit(task.Sequences.clone(), task.Labels.clone());
        var trainer = new Trainer(new TrainingOptions
        {
            Cell = CellKind.Lstm,
            Steps = 300,
            BatchSize = 32,
            HiddenSize = 32,
            Order = order,
            Device = DeviceChoice.Cpu,
        });
        using var model = trainer.CreateModel(CPU, inputSize: 1, classes: 4);
        var before = trainer.Evaluate(model, data);

        var result = trainer.Train(model, data);
        var after = trainer.Evaluate(model, data);

        Assert.That(result.LastStep.Step, Is.EqualTo(300));
        Assert.That(after.Count, Is.EqualTo(512));
        Assert.That(after.Loss, Is.LessThan(before.Loss * 0.25), $"loss {before.Loss:F3} -> {after.Loss:F3}");
        Assert.That(after.Accuracy, Is.GreaterThan(0.9), $"accuracy {before.Accuracy:F3} -> {after.Accuracy:F3}");
    }
}
