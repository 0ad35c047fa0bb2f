using System.CommandLine;
using System.Diagnostics;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Performance;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Bench;

/// <summary>
/// <c>mnist-rnn bench</c>: this machine's matrix-multiply limit and, in the same process, training and
/// evaluation throughput, model FLOP utilisation, dataset load time and peak memory.
/// </summary>
internal sealed class BenchCommand
{
    private const int SgemmSize = 2048;

    private readonly Option<string?> _data = DataFolder.CreateOption();
    private readonly Option<int> _samples = new("--samples")
    {
        Description = "Training sequences timed per measurement, after warm-up (so every batch size gets a comparable budget).",
        DefaultValueFactory = _ => 30_000,
    };
    private readonly Option<int> _repeats = new("--repeats")
    {
        Description = "Measurements of each figure; the median is reported.",
        DefaultValueFactory = _ => 3,
    };
    private readonly Option<string?> _json = new("--json") { Description = "Also write the figures as JSON to this file." };

    /// <summary>The configurations timed: every cell at the experiment's batch, and the LSTM at larger batches.</summary>
    private static readonly (CellKind Cell, int Batch)[] Configurations =
        [(CellKind.Rnn, 100), (CellKind.Lstm, 100), (CellKind.Gru, 100), (CellKind.Lstm, 256), (CellKind.Lstm, 1000)];

    public Command Build()
    {
        var command = new Command("bench", "Measure this machine's matrix-multiply limit, training and evaluation throughput, model FLOP utilisation and load time.");
        foreach (var option in new Option[] { _data, _samples, _repeats, _json }) command.Options.Add(option);
        command.SetAction(parse => Run(parse));
        return command;
    }

    private int Run(ParseResult parse)
    {
        int samples = parse.GetValue(_samples), repeats = parse.GetValue(_repeats);
        if (samples < 1000) throw new UserErrorException(ExitCodes.InvalidArguments, $"--samples must be at least 1000, got {samples}.");
        if (repeats < 1) throw new UserErrorException(ExitCodes.InvalidArguments, $"--repeats must be at least 1, got {repeats}.");
        string dataFolder = DataFolder.Resolve(parse.GetValue(_data));
        string? jsonPath = parse.GetValue(_json) is { } given ? Path.GetFullPath(given) : null;

        Console.WriteLine($"threads {get_num_threads()}, {Environment.ProcessorCount} logical cores, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, libtorch {__version__}");
        double loadSeconds = Median(repeats, () => Time(() => DataFolder.Load(dataFolder, CPU).Dispose()));
        Console.WriteLine($"load and verify MNIST: {loadSeconds:F3} s");
        double sgemm = Median(repeats, Sgemm);
        Console.WriteLine($"sgemm {SgemmSize}x{SgemmSize}x{SgemmSize} float32: {sgemm:F1} GFLOP/s");

        using var dataset = DataFolder.Load(dataFolder, CPU);
        var rows = new List<BenchRow>();
        Console.WriteLine();
        Console.WriteLine("cell  batch  samples/s  GFLOP/s   MFU");
        foreach (var (cell, batch) in Configurations)
        {
            double perSecond = Median(repeats, () => TrainingThroughput(dataset, cell, batch, samples));
            double flops = FlopCount.Training(cell, dataset.Columns, 128, dataset.Classes, dataset.Rows);
            var row = new BenchRow(cell.ToName(), batch, Math.Round(perSecond, 1), Math.Round(perSecond * flops / 1e9, 2), Math.Round(perSecond * flops / 1e9 / sgemm, 3));
            rows.Add(row);
            Console.WriteLine($"{row.Cell,-4}  {row.Batch,5}  {row.SamplesPerSecond,9:N0}  {row.Gflops,7:F1}  {row.Mfu,5:F2}");
        }
        var profile = StepProfile.Measure(dataset, CellKind.Lstm, batch: 100);
        Console.WriteLine();
        Console.WriteLine($"where an LSTM step of batch 100 spends its {profile.Sum():F2} ms:");
        for (int i = 0; i < profile.Length; i++)
            Console.WriteLine($"  {StepProfile.Operations[i],-15} {profile[i],6:F3} ms  {100 * profile[i] / profile.Sum(),5:F1}%");
        double evalSeconds = Median(repeats, () => EvaluationSeconds(dataset));
        double peak = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1);
        Console.WriteLine();
        Console.WriteLine($"evaluate the LSTM on {dataset.Test.Count:N0} test images: {evalSeconds:F3} s ({dataset.Test.Count / evalSeconds:N0} images/s)");
        Console.WriteLine($"peak working set: {peak:F0} MB");

        if (jsonPath is not null)
        {
            var stepProfile = StepProfile.Operations.Select((name, i) => (name, Math.Round(profile[i], 4))).ToDictionary(p => p.name, p => p.Item2);
            var report = new BenchReport(get_num_threads(), Environment.ProcessorCount, Math.Round(loadSeconds, 4), Math.Round(sgemm, 1), rows,
                stepProfile, Math.Round(evalSeconds, 4), Math.Round(dataset.Test.Count / evalSeconds, 0), peak);
            JsonOutput.Write(jsonPath, report, "--json");
        }
        return ExitCodes.Success;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(int repeats, Func<double> measure)
    {
        var values = Enumerable.Range(0, repeats).Select(_ => measure()).Order().ToArray();
        return values[values.Length / 2];
    }

    // C = A·B into a preallocated C (addmm_ with beta 0), so only the product itself is timed.
    private static double Sgemm()
    {
        using var scope = NewDisposeScope();
        var a = randn(SgemmSize, SgemmSize);
        var b = randn(SgemmSize, SgemmSize);
        var c = empty(SgemmSize, SgemmSize);
        for (int i = 0; i < 2; i++) c.addmm_(a, b, beta: 0); // warm-up: thread pool, caches
        const int products = 10;
        double seconds = Time(() =>
        {
            for (int i = 0; i < products; i++) c.addmm_(a, b, beta: 0);
        });
        return products * 2.0 * Math.Pow(SgemmSize, 3) / seconds / 1e9;
    }

    // The real training loop (Trainer with the default clipping and metrics), timed between the end of
    // the warm-up steps and the last step, so start-up and the first allocations are left out.
    private static double TrainingThroughput(MnistDataset dataset, CellKind cell, int batch, int samples)
    {
        int warmup = Math.Max(5, 2000 / batch), measured = Math.Max(10, samples / batch);
        var trainer = new Trainer(new TrainingOptions
        {
            Model = cell, BatchSize = batch, Steps = warmup + measured, Device = DeviceChoice.Cpu, StallWindow = 0,
            LogCadence = LogCadence.EveryNSteps(int.MaxValue),
        });
        using var model = trainer.CreateModel(CPU, dataset);
        TimeSpan start = TimeSpan.Zero, end = TimeSpan.Zero;
        trainer.StepCompleted += m =>
        {
            if (m.Step == warmup) start = m.Elapsed;
            if (m.Step == warmup + measured - 1) end = m.Elapsed;
        };
        trainer.Train(model, dataset.Train);
        return (measured - 1) * (double)batch / (end - start).TotalSeconds;
    }

    private static double EvaluationSeconds(MnistDataset dataset)
    {
        var trainer = new Trainer(new TrainingOptions { Steps = 1, Device = DeviceChoice.Cpu, StallWindow = 0 });
        using var model = trainer.CreateModel(CPU, dataset);
        return Time(() => ModelEvaluation.Evaluate(model, dataset.Test));
    }
}
