using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Models;

/// <summary>
/// Moving a module to another device or dtype replaces its Parameter objects, leaving any reference taken
/// before the move without a handle. On the CPU <c>to(CPU)</c> changes nothing, so a move to float64 and back
/// stands in for the move to a GPU: everything that reads parameters must still work after it.
/// </summary>
[Category("Unit")]
public sealed class DeviceMoveTests
{
    private TempFolder _folder = null!;
    private SequenceDataset _data = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _data = LearnableTasks.Brightness(seed: 33);
    }

    [TearDown]
    public void TearDown()
    {
        _data.Dispose();
        _folder.Dispose();
    }

    private static TrainingOptions Options(CellKind kind, StepExecution execution = StepExecution.Synchronous) => new()
    {
        Cell = kind,
        Steps = 12,
        BatchSize = 16,
        HiddenSize = 8,
        CheckpointEvery = 4,
        Device = DeviceChoice.Cpu,
        LogCadence = LogCadence.EveryNSteps(1),
        GradientFlowSteps = [0, 12],
        StepExecution = execution,
        Threads = 1, // given, so that no run waits for a load reading and every run rounds alike
    };

    private static RecurrentClassifier MovedThereAndBack(Trainer trainer)
    {
        var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        model.to(ScalarType.Float64);
        model.to(ScalarType.Float32);
        return model;
    }

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    // On the CPU a move to float64 and back keeps TorchSharp's Parameter objects of a native recurrent layer (measured),
    // so it cannot show what a move to a GPU does. What can be checked is the cause: a model that keeps no Parameter
    // or Tensor of its own, outside its registered submodules, has nothing that a move can leave behind.
    [Test]
    public void The_classifier_keeps_no_tensor_a_move_could_leave_behind()
    {
        var held = typeof(RecurrentClassifier)
            .GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public
                | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(f => !typeof(nn.Module).IsAssignableFrom(f.FieldType))
            .Where(f => typeof(Tensor).IsAssignableFrom(f.FieldType)
                || f.FieldType.GetInterfaces().Append(f.FieldType).Any(i => i.IsGenericType && i.GetGenericArguments().Any(a => typeof(Tensor).IsAssignableFrom(a)
                    || (a.IsGenericType && a.GetGenericArguments().Any(b => typeof(Tensor).IsAssignableFrom(b))))))
            .Select(f => f.Name);

        Assert.That(held, Is.Empty);
    }

    [Test]
    public void A_stacked_bidirectional_model_moved_there_and_back_trains_on_variable_lengths_and_saves([Values] CellKind kind)
    {
        using var train = LearnableTasks.FirstStepOfVariableLength(200, seed: 34);
        var trainer = new Trainer(Options(kind) with { GradientFlowSteps = [], Layers = 2, Bidirectional = true, Dropout = 0.1, WeightDecay = 0.01 });
        using var model = trainer.CreateModel(train);
        model.to(ScalarType.Float64);
        model.to(ScalarType.Float32);
        float[] before = Weights(model);

        var result = trainer.Train(model, train);
        ModelFile.Save(model, _folder.File("moved.safetensors"));
        using var loaded = ModelFile.Load(_folder.File("moved.safetensors"));

        Assert.That(double.IsFinite(result.LastStep.Loss), Is.True);
        Assert.That(Weights(model), Is.Not.EqualTo(before), "the optimizer updated the parameters the model holds now");
        Assert.That(ModelEvaluation.Evaluate(loaded, train), Is.EqualTo(ModelEvaluation.Evaluate(model, train)));
    }

    [TestCase(CellKind.Rnn)]
    [TestCase(CellKind.Lstm)]
    [TestCase(CellKind.Gru)]
    [TestCase(CellKind.Irnn)]
    public void Diagnostics_read_the_parameters_the_model_holds_after_a_move(CellKind kind)
    {
        var trainer = new Trainer(Options(kind));
        using var model = MovedThereAndBack(trainer);
        using var scope = NewDisposeScope();
        var input = _data.Sequences.narrow(0, 0, 16);
        var (_, outputs) = model.ForwardWithOutputs(input);

        // What the diagnostics read must be what the module holds now, not what it held before the move: on a GPU
        // the Parameter objects taken before the move are disposed, and reading them failed with "empty handle".
        Assert.That(model.RecurrentWeights.Select(w => w.Handle),
            Is.EqualTo(new[] { "weight_ih_l0", "weight_hh_l0" }.Select(name => model.get_parameter($"recurrent.{name}")!.Handle)));
        var statistics = StateStatistics.Measure(model, input, outputs);
        double expectedMean = cat(model.RecurrentWeights.Select(w => w.flatten()).ToArray()).mean().item<float>();

        Assert.That(statistics.WeightMean, Is.EqualTo(expectedMean).Within(1e-9));
        Assert.That(model.RecurrentWeights.Select(w => w.dtype), Is.All.EqualTo(ScalarType.Float32));
        Assert.That(statistics.Saturation, Is.InRange(0.0, 1.0));
        Assert.That(GradientFlow.Measure(model, input, _data.Labels.narrow(0, 0, 16)), Has.Length.EqualTo(5).And.All.GreaterThan(0));
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_moved_model_trains_checkpoints_and_resumes_exactly(StepExecution execution)
    {
        var straight = new Trainer(Options(CellKind.Lstm, execution)) { Callbacks = [new CheckpointStore(Path.Combine(_folder.Path, "straight"))] };
        using var straightModel = MovedThereAndBack(straight);
        var flows = new List<GradientFlowMeasurement>();
        straight.Callbacks.Add(new TrainingObserver { GradientFlowMeasured = flows.Add });
        var logged = new List<StepMetrics>();
        straight.Callbacks.Add(new TrainingObserver { StepCompleted = logged.Add });
        straight.Train(straightModel, _data);

        Assert.That(logged.Select(m => m.State), Has.All.Not.Null, "every step is logged, so every step measures the state");
        Assert.That(flows.Select(f => f.Step), Is.EqualTo(new[] { 0, 12 }));

        var checkpoint = CheckpointFile.Read(Path.Combine(_folder.Path, "straight", "checkpoint-step-0000008.ckpt"));
        var resumed = new Trainer(checkpoint.Info.Options with { StepExecution = execution });
        using var resumedModel = MovedThereAndBack(resumed);
        resumed.Train(resumedModel, _data, resume: checkpoint);

        Assert.That(Weights(resumedModel), Is.EqualTo(Weights(straightModel)));
        using var classifier = TrainedClassifier.From(checkpoint);
        Assert.That(classifier.Model.RecurrentWeights[0].dtype, Is.EqualTo(ScalarType.Float32));
    }

    // The parts of a run that hold tensors of their own (the weight average, the bfloat16 copy, Adam's state) are made when
    // training starts, after the move; a model moved there and back still trains, checkpoints and resumes exactly with them.
    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_moved_model_with_a_weight_average_bfloat16_passes_and_accumulation_resumes_exactly(StepExecution execution)
    {
        var options = Options(CellKind.Gru, execution) with
        {
            GradientFlowSteps = [], EmaDecay = 0.9, Precision = Precision.Bf16Mixed, AccumulateBatches = 2, BatchSize = 8, StallWindow = 4,
        };
        var straight = new Trainer(options) { Callbacks = [new CheckpointStore(Path.Combine(_folder.Path, "state"))] };
        using var straightModel = MovedThereAndBack(straight);
        straight.Train(straightModel, _data);

        var checkpoint = CheckpointFile.Read(Path.Combine(_folder.Path, "state", "checkpoint-step-0000008.ckpt"));
        var resumed = new Trainer(checkpoint.Info.Options with { StepExecution = execution });
        using var resumedModel = MovedThereAndBack(resumed);
        resumed.Train(resumedModel, _data, resume: checkpoint);

        Assert.That(Weights(resumedModel), Is.EqualTo(Weights(straightModel)));
        Assert.That(checkpoint.SectionNames, Does.Contain("ema"));
    }

    [Test]
    public void A_moved_model_chooses_its_precision_trains_as_an_unmoved_one_and_predicts_from_plain_arrays()
    {
        // Auto's measurement builds throwaway models from the options and reads the device from the parameters the model holds now.
        var options = Options(CellKind.Lstm) with { GradientFlowSteps = [], Precision = Precision.Auto, CheckpointEvery = 0 };
        var auto = new Trainer(options);
        using var moved = MovedThereAndBack(auto);
        var result = auto.Train(moved, _data);
        var given = new Trainer(options with { Precision = result.PrecisionChoice.Precision });
        using var unmoved = given.CreateModel(CPU, inputSize: 4, classes: 2);
        given.Train(unmoved, _data);

        Assert.That(Weights(moved), Is.EqualTo(Weights(unmoved)));
        var values = new float[_data.Count, _data.Steps, _data.Features];
        Buffer.BlockCopy(_data.Sequences.data<float>().ToArray(), 0, values, 0, values.Length * sizeof(float));
        Assert.That(ModelEvaluation.Predict(moved, values).Select(p => p.Probabilities),
            Is.EqualTo(ModelEvaluation.Predict(unmoved, _data.Sequences).Select(p => p.Probabilities)));
    }
}
