using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MnistRnn.Data;
using MnistRnn.Diagnostics;
using MnistRnn.IO;
using MnistRnn.Models;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Output;

/// <summary>
/// The folder <c>train --metrics DIR</c> writes and <c>compare</c> reads back: metrics.csv and metrics.jsonl (every step),
/// gradient-flow.csv (dLoss/dh_t on the probe batch before training and after the last step), validation.csv (each
/// validation, when the run validates) and hidden-state.csv (the final hidden state of the first 1,000 test images, a row each).
/// A training callback: give it to the trainer, and call <see cref="Finish"/> once the model is evaluated.
/// </summary>
internal sealed class MetricsFolder(string folder) : TrainingCallback, IDisposable
{
    /// <summary>Test images whose final hidden states are written.</summary>
    public const int HiddenStateSamples = 1000;

    private const string GradientFlowFile = "gradient-flow.csv", ValidationFile = "validation.csv", HiddenStateFile = "hidden-state.csv";

    // What compare reads back is bounded before it is allocated: 5,000 steps write about 1.5 MB of step metrics.
    private const long MaxFileBytes = 256L << 20;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private readonly MetricsWriter _steps = new(folder);
    private readonly List<GradientFlowMeasurement> _flows = [];

    /// <summary>
    /// <paramref name="options"/> measuring gradient flow before training and after the last step, where the model has one
    /// gradient per time step: a bidirectional model's hidden states run both ways.
    /// </summary>
    public static TrainingOptions Measuring(TrainingOptions options) =>
        options with { GradientFlowSteps = options.Bidirectional ? [] : [0, options.Steps] };

    public override void OnStepReported(TrainingContext context, StepMetrics metrics) => _steps.Write(metrics);

    public override void OnGradientFlow(TrainingContext context, GradientFlowMeasurement measurement) => _flows.Add(measurement);

    /// <summary>Writes what the run measured besides its steps, and <paramref name="model"/>'s final hidden states on <paramref name="test"/>.</summary>
    public void Finish(RecurrentClassifier model, DatasetSplit test, SequenceOrder order, TrainingResult training)
    {
        _steps.Dispose();
        int length = _flows.Count == 0 ? 0 : _flows[0].Norms.Count;
        WriteRows(GradientFlowFile, ["step", .. Enumerable.Range(1, length).Select(t => $"t{t}")],
            _flows.Select(f => (IEnumerable<string>)[Text(f.Step), .. f.Norms.Select(n => Text(n))]));
        if (training.Validations.Count > 0)
            WriteRows(ValidationFile, ["step", "loss", "accuracy", "is_best"],
                training.Validations.Select(v => (IEnumerable<string>)[Text(v.Step), Text(v.Loss), Text(v.Accuracy), v.IsBest ? "1" : "0"]));
        float[] states = FinalHiddenStates(model, test, order);
        int width = states.Length / Math.Max(1, Math.Min(HiddenStateSamples, test.Count));
        WriteRows(HiddenStateFile, Enumerable.Range(1, width).Select(h => $"h{h}"),
            states.Chunk(width).Select(row => row.Select(v => v.ToString("R", Invariant))));
    }

    public void Dispose() => _steps.Dispose();

    /// <summary>Everything a run wrote into its metrics folder.</summary>
    public sealed record Contents(
        IReadOnlyList<StepMetrics> Steps,
        IReadOnlyList<GradientFlowMeasurement> GradientFlow,
        IReadOnlyList<ValidationRecord> Validations,
        float[] FinalHiddenState);

    /// <summary>Reads <paramref name="path"/>, a folder this wrote for a run of <paramref name="cell"/>.</summary>
    /// <exception cref="InvalidDataException">A file is missing, too large or not what this writes; the message names it.</exception>
    public static Contents Read(string path, CellKind cell)
    {
        try
        {
            return ReadUnchecked(path, cell);
        }
        catch (Exception e) when (e is JsonException or OverflowException or ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{path} holds a file that is not what train --metrics writes ({e.Message})", e);
        }
    }

    private static Contents ReadUnchecked(string path, CellKind cell)
    {
        var steps = Lines(Path.Combine(path, "metrics.jsonl")).Select(line => JsonSerializer.Deserialize<StepLine>(line, StepLine.Options)
            ?.ToMetrics(cell) ?? throw new InvalidDataException("a line is null")).ToList();
        if (steps.Count == 0) throw new InvalidDataException("metrics.jsonl holds no step");
        var flows = Table(GradientFlowFile).Select(row => new GradientFlowMeasurement(ParseStep(row[0]), row[1..].Select(ParseNumber).ToArray())).ToList();
        var validations = File.Exists(Path.Combine(path, ValidationFile))
            ? Table(ValidationFile).Select(row => new ValidationRecord(ParseStep(row[0]), ParseNumber(row[1]), ParseNumber(row[2]), row[3] == "1", 0)).ToList()
            : [];
        float[] states = [.. Table(HiddenStateFile).SelectMany(row => row.Select(v => (float)ParseNumber(v)))];
        return new Contents(steps, flows, validations, states);

        List<string[]> Table(string file) => [.. Lines(Path.Combine(path, file)).Skip(1).Select(line => line.Split(','))];
    }

    private static IEnumerable<string> Lines(string file) =>
        Encoding.UTF8.GetString(RegularFile.ReadAllBytes(file, MaxFileBytes, "run metrics")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string Text(int value) => value.ToString(Invariant);

    private static string Text(double value) => value.ToString("R", Invariant);

    private static int ParseStep(string text) =>
        int.TryParse(text, NumberStyles.None, Invariant, out int value) ? value : throw new InvalidDataException($"'{text}' is not a step number");

    private static double ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, Invariant, out double value) ? value : throw new InvalidDataException($"'{text}' is not a number");

    private void WriteRows(string file, IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        using var writer = new StreamWriter(Path.Combine(folder, file));
        writer.WriteLine(string.Join(',', header));
        foreach (var row in rows) writer.WriteLine(string.Join(',', row));
    }

    private static float[] FinalHiddenStates(RecurrentClassifier model, DatasetSplit test, SequenceOrder order)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var sequences = test.ToSequences(order, model.Classes);
        int count = Math.Min(HiddenStateSamples, test.Count);
        var (_, outputs) = model.ForwardWithOutputs(sequences.Sequences.narrow(0, 0, count));
        return outputs.select(1, -1).cpu().data<float>().ToArray();
    }

    // One line of metrics.jsonl, as MetricsWriter writes it.
    private sealed record StepLine(int Step, int Epoch, double Loss, double Accuracy, double GradNorm, bool Clipped, double ElapsedSeconds,
        double? WeightMean, double? WeightStd, double? OutputMean, double? OutputStd, double? Saturation)
    {
        public static readonly JsonSerializerOptions Options = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };

        public StepMetrics ToMetrics(CellKind cell) => new(Step, Epoch, Loss, Accuracy, cell, GradNorm, Clipped, TimeSpan.FromSeconds(ElapsedSeconds),
            Saturation is double saturation ? new StateStatistics(WeightMean ?? double.NaN, WeightStd ?? double.NaN, OutputMean ?? double.NaN, OutputStd ?? double.NaN, saturation) : null);
    }
}
