using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>
/// <see cref="StepExecution.DeviceResident"/>, the GPU's default, run on the CPU: the same code, so everything but
/// its speed is checked here.
/// </summary>
[Category("Unit")]
public sealed class DeviceResidentTrainingTests
{
    private static TrainingOptions Options(CellKind kind, int steps, StepExecution execution) => new()
    {
        Cell = kind,
        Steps = steps,
        BatchSize = 16,
        HiddenSize = 16,
        Device = DeviceChoice.Cpu,
        StepExecution = execution,
        LogCadence = LogCadence.EveryNSteps(7),
        Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
    };

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    // The conditional step is part of the contract both step modes implement; the synchronous one reads the boolean.
    [TestCase(StepExecution.DeviceResident)]
    [TestCase(StepExecution.Synchronous)]
    public void A_step_the_device_skips_changes_nothing_even_with_non_finite_gradients(StepExecution execution)
    {
        using var layer = nn.Linear(4, 2);
        using var adam = new AdamOptimizer(layer.parameters(), learningRate: 0.1, execution);
        var input = randn(5, 4);
        nn.functional.mse_loss(layer.call(input), zeros(5, 2)).backward();
        adam.Step();
        float[] Snapshot() => layer.parameters().Concat(adam.state_dict().State.Cast<AdamOptimizer.State>().SelectMany(s => new[] { s.ExpAvg, s.ExpAvgSq })).SelectMany(t => t.data<float>().ToArray()).ToArray();
        var before = Snapshot();

        adam.ZeroGrad();
        nn.functional.mse_loss(layer.call(input), zeros(5, 2)).backward();
        using (no_grad()) layer.weight!.grad!.fill_(float.NaN);
        adam.Step(tensor(false));

        Assert.That(Snapshot(), Is.EqualTo(before));
        Assert.That(adam.StepCount, Is.EqualTo(1));
    }

    [Test]
    public void Parameters_and_gradients_stay_views_of_one_buffer_with_the_recurrent_layer_first()
    {
        using var data = LearnableTasks.BrightestRow(32, seed: 1);
        using var model = new RecurrentClassifier(CellKind.Lstm, inputSize: 4, hiddenSize: 8, classes: 4);
        using var adam = new AdamOptimizer(model.parameters(), learningRate: 0.01, StepExecution.DeviceResident);
        using var scope = NewDisposeScope();
        for (int step = 0; step < 3; step++)
        {
            adam.ZeroGrad();
            nn.functional.cross_entropy(model.call(data.Sequences), data.Labels).backward();
            adam.Step();
        }

        var named = model.named_parameters().ToList();
        long offset = 0;
        foreach (var (name, parameter) in named)
        {
            Assert.That(parameter.storage_offset(), Is.EqualTo(offset), name);
            Assert.That(parameter.grad!.storage_offset(), Is.EqualTo(offset), $"{name}'s gradient");
            offset += parameter.numel();
        }
        Assert.That(named.Take(4).Select(p => p.name), Is.All.StartWith("recurrent."), "cuDNN uses the layer's weights in place only at offset 0");
        var gradients = cat(named.Select(p => p.parameter.grad!.flatten()).ToArray());
        Assert.That(gradients.allclose(adam.FlatGradients!, rtol: 0, atol: 0), Is.True, "backward accumulated into the flat buffer");
    }

    [TestCase(CellKind.Rnn)]
    [TestCase(CellKind.Lstm)]
    [TestCase(CellKind.Gru)]
    [TestCase(CellKind.Irnn)]
    public void Training_on_the_device_matches_synchronous_training_to_rounding_and_reports_every_step(CellKind kind)
    {
        using var data = LearnableTasks.BrightestRow(128, seed: 2);
        (float[] Weights, List<StepMetrics> Steps) Train(StepExecution execution)
        {
            var trainer = new Trainer(Options(kind, steps: 30, execution));
            using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
            var steps = new List<StepMetrics>();
            trainer.Callbacks.Add(new TrainingObserver { StepCompleted = steps.Add });
            trainer.Train(model, data);
            return (Weights(model), steps);
        }

        var synchronous = Train(StepExecution.Synchronous);
        var resident = Train(StepExecution.DeviceResident);

        Assert.That(resident.Steps.Select(m => m.Step), Is.EqualTo(Enumerable.Range(1, 30)));
        Assert.That(resident.Steps.Where(m => m.State is not null).Select(m => m.Step), Is.EqualTo(new[] { 7, 14, 21, 28, 30 }));
        Assert.That(resident.Weights, Is.EqualTo(synchronous.Weights).Within(1e-4));
        for (int i = 0; i < 30; i++)
        {
            Assert.That(resident.Steps[i].Loss, Is.EqualTo(synchronous.Steps[i].Loss).Within(1e-4), $"loss of step {i + 1}");
            Assert.That(resident.Steps[i].Accuracy, Is.EqualTo(synchronous.Steps[i].Accuracy), $"accuracy of step {i + 1}");
            Assert.That(resident.Steps[i].GradNorm, Is.EqualTo(synchronous.Steps[i].GradNorm).Within(1e-4), $"gradient norm of step {i + 1}");
            Assert.That(resident.Steps[i].Clipped, Is.EqualTo(synchronous.Steps[i].Clipped), $"clipping of step {i + 1}");
        }
    }

    [Test]
    public void Metrics_wait_on_the_device_at_most_the_pending_limit()
    {
        using var data = LearnableTasks.BrightestRow(64, seed: 3);
        var trainer = new Trainer(Options(CellKind.Rnn, steps: Trainer.MaxPendingSteps + 20, StepExecution.DeviceResident)
            with
        { LogCadence = LogCadence.EveryNSteps(int.MaxValue) });
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var lag = new ReportLag();
        trainer.Callbacks.Add(lag);

        trainer.Train(model, data);
        var reportedAt = lag.Seen;

        Assert.That(reportedAt.Select(r => r.Step), Is.EqualTo(Enumerable.Range(1, Trainer.MaxPendingSteps + 20)));
        Assert.That(reportedAt.Max(r => r.Completed - r.Step), Is.EqualTo(Trainer.MaxPendingSteps - 1));
        Assert.That(reportedAt.Last().Completed, Is.EqualTo(Trainer.MaxPendingSteps + 20), "the last step is reported when it completes");
    }

    [Test]
    public void Live_tensors_do_not_grow_across_batches_of_steps()
    {
        using var data = LearnableTasks.BrightestRow(128, seed: 4);
        var trainer = new Trainer(Options(CellKind.Lstm, steps: 5 * Trainer.MaxPendingSteps, StepExecution.DeviceResident)
            with
        { LogCadence = LogCadence.EveryNSteps(int.MaxValue) });
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 4);
        var live = new List<long>();
        trainer.Callbacks.Add(new TrainingObserver { StepCompleted = m => { if (m.Step % Trainer.MaxPendingSteps == 0) live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount); } });

        trainer.Train(model, data);

        // Sampled at each read-back, inside the step that triggered it; the first batch may still be settling.
        Assert.That(live.Skip(1).Distinct().Count(), Is.EqualTo(1), string.Join(", ", live));
    }

    [Test]
    public void Auto_keeps_steps_on_the_device_on_a_gpu_only()
    {
        Assert.That(StepExecutionChoice.Resolve(StepExecution.Auto, CPU), Is.EqualTo(StepExecution.Synchronous));
        Assert.That(StepExecutionChoice.Resolve(StepExecution.Auto, new Device(DeviceType.CUDA, 0)), Is.EqualTo(StepExecution.DeviceResident));
        Assert.That(StepExecutionChoice.Resolve(StepExecution.DeviceResident, CPU), Is.EqualTo(StepExecution.DeviceResident));
    }

    // A callback of one's own: which step each step's figures arrive after.
    private sealed class ReportLag : TrainingCallback
    {
        public List<(int Step, int Completed)> Seen { get; } = [];

        public override void OnStepReported(TrainingContext context, StepMetrics metrics) => Seen.Add((metrics.Step, context.Step));
    }
}
