using Microsoft.Extensions.Logging;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.Mnist;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Compare;

/// <summary>Trains and evaluates one configuration of <c>compare</c>, writing its per-run files as it goes.</summary>
internal static class ComparisonRun
{
    /// <summary>Test images whose final hidden states are kept for the histogram.</summary>
    public const int HiddenStateSamples = 1000;

    /// <summary>
    /// Runs <paramref name="spec"/> on <paramref name="dataset"/> (less its held-out images, validated on), writing metrics.csv,
    /// metrics.jsonl, gradient-flow.csv and, with validation, validation.csv into <paramref name="runFolder"/> and, with
    /// <paramref name="tensorBoardFolder"/>, event files there.
    /// </summary>
    public static RunOutcome Execute(RunSpec spec, TrainingOptions options, MnistDataset dataset, HeldOutImages halves, Device device,
        string runFolder, string? tensorBoardFolder, ILoggerFactory loggers, Func<string, string> settingName, RunnerConsole console,
        CancellationToken cancellationToken)
    {
        var trainer = new Trainer(options, loggers.CreateLogger<Trainer>()) { SettingName = settingName };
        using var model = trainer.CreateModel(device, dataset);
        using var metricsWriter = new MetricsWriter(runFolder);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tensorBoard = TensorBoardLog.Create(tensorBoardFolder, model, stop);
        using var progress = new ProgressLine(spec.Label, console);
        var steps = new List<StepMetrics>(options.Steps);
        var flows = new List<GradientFlowMeasurement>();
        Stall? stall = null;
        trainer.Callbacks.Add(new TrainingObserver
        {
            StepCompleted = metrics =>
            {
                steps.Add(metrics);
                metricsWriter.Write(metrics);
            },
            GradientFlowMeasured = flows.Add,
            StallDetected = s => stall = s,
        });
        if (tensorBoard is not null) trainer.Callbacks.Add(tensorBoard);
        trainer.Callbacks.Add(progress);

        TrainingResult training;
        try
        {
            training = trainer.Train(model, halves.Train, halves.HeldOut, stop.Token);
        }
        catch (OperationCanceledException) when (tensorBoard?.Failure is not null)
        {
            throw tensorBoard.Error($"The metrics of the runs so far are in {Path.GetDirectoryName(runFolder)}.");
        }
        var test = trainer.Evaluate(model, dataset.Test);
        WriteGradientFlow(Path.Combine(runFolder, "gradient-flow.csv"), flows);
        if (training.Validations.Count > 0) WriteValidations(Path.Combine(runFolder, "validation.csv"), training.Validations);
        return new RunOutcome(spec, options, steps, flows, stall, test, training, FinalHiddenState(model, dataset.Test, options.Order));
    }

    private static float[] FinalHiddenState(Models.RecurrentClassifier model, DatasetSplit test, SequenceOrder order)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var sequences = test.ToSequences(order, model.Classes);
        int count = Math.Min(HiddenStateSamples, test.Count);
        var (_, outputs) = model.ForwardWithOutputs(sequences.Sequences.narrow(0, 0, count));
        return outputs.select(1, -1).cpu().data<float>().ToArray();
    }

    // One row per measurement: the step, then ||dLoss/dh_t|| for t = 1..T.
    private static void WriteGradientFlow(string path, IReadOnlyList<GradientFlowMeasurement> flows)
    {
        using var writer = new StreamWriter(path);
        int length = flows.Count == 0 ? 0 : flows[0].Norms.Count;
        writer.WriteLine(string.Join(',', ["step", .. Enumerable.Range(1, length).Select(t => $"t{t}")]));
        foreach (var flow in flows)
            writer.WriteLine(string.Join(',', [flow.Step.ToString(Invariant), .. flow.Norms.Select(n => n.ToString("R", Invariant))]));
    }

    private static void WriteValidations(string path, IReadOnlyList<ValidationRecord> validations)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("step,loss,accuracy,is_best");
        foreach (var v in validations)
            writer.WriteLine(string.Join(',', v.Step.ToString(Invariant), v.Loss.ToString("R", Invariant), v.Accuracy.ToString("R", Invariant), v.IsBest ? "1" : "0"));
    }

    private static readonly IFormatProvider Invariant = System.Globalization.CultureInfo.InvariantCulture;
}
