using System.CommandLine;
using System.Diagnostics;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Bench;

/// <summary>
/// <c>mnist-rnn bench</c>: this machine's matrix-multiply limit and, in the same process, training and
/// evaluation throughput, model FLOP utilisation, dataset load time and peak memory.
/// </summary>
internal sealed class BenchCommand(RunnerConsole console)
{
    private readonly RunnerConsole _console = console;

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
    private readonly Option<DeviceChoice> _device = DeviceOption.Create();
    private readonly Option<StepExecution> _stepMode = DeviceOption.CreateStepMode();
    private readonly Option<BenchPrecision> _precision = ChoiceOption.Create("--precision", "precision",
        "The number format of the training measured: 32 (float32), bf16-mixed, or both, one after the other in this run.",
        [("32", BenchPrecision.Float32), ("bf16-mixed", BenchPrecision.Bf16Mixed), ("both", BenchPrecision.Both)], BenchPrecision.Float32);

    private enum BenchPrecision { Float32, Bf16Mixed, Both }

    /// <summary>The configurations timed: every cell at the experiment's batch and at larger ones (the IRNN computes as the tanh RNN does).</summary>
    private static readonly (CellKind Cell, int Batch)[] Configurations =
        [.. new[] { CellKind.Rnn, CellKind.Lstm, CellKind.Gru }.SelectMany(cell => new[] { 100, 256, 1000 }.Select(batch => (cell, batch)))];

    /// <summary>The batch at which the memory a step holds for its backward pass is measured: large, so that activations dominate.</summary>
    private const int MemoryBatch = 1000;

    public Command Build()
    {
        var command = new Command("bench", "Measure this machine's matrix-multiply limit, training and evaluation throughput, model FLOP utilisation and load time.");
        foreach (var option in new Option[] { _data, _device, _stepMode, _precision, _samples, _repeats, _json }) command.Options.Add(option);
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
        var device = DeviceOption.Resolve(parse, _device);
        var stepMode = StepExecutionChoice.Resolve(parse.GetValue(_stepMode), device);
        bool cuda = device.type == TorchSharp.DeviceType.CUDA;
        Precision[] precisions = parse.GetValue(_precision) switch
        {
            BenchPrecision.Bf16Mixed => [Precision.Bf16Mixed],
            BenchPrecision.Both => [Precision.Float32, Precision.Bf16Mixed],
            _ => [Precision.Float32],
        };

        if (precisions.Contains(Precision.Bf16Mixed) && device.type == TorchSharp.DeviceType.CPU && BFloat16Hardware.OfThisCpu() is { HasIt: false } cpu)
            _console.Error.WriteLine($"warning: {cpu.Description}, so the bf16-mixed rows run emulated, several times slower than float32.");
        _console.Out.WriteLine($"device {device}, step mode {stepMode}, threads {get_num_threads()}, {Environment.ProcessorCount} logical cores, TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, libtorch {__version__}");
        double loadSeconds = Median(repeats, () => Time(() => DataFolder.Load(dataFolder, device).Dispose()));
        _console.Out.WriteLine($"load and verify MNIST: {loadSeconds:F3} s");
        double sgemm = Median(repeats, () => Gemm(device, ScalarType.Float32));
        _console.Out.WriteLine($"sgemm {SgemmSize}x{SgemmSize}x{SgemmSize} float32: {sgemm:F1} GFLOP/s");
        double? bf16Gemm = precisions.Contains(Precision.Bf16Mixed) ? Median(repeats, () => Gemm(device, ScalarType.BFloat16)) : null;
        if (bf16Gemm is double rate) _console.Out.WriteLine($"gemm {SgemmSize}x{SgemmSize}x{SgemmSize} bfloat16: {rate:F1} GFLOP/s (the reference for bf16-mixed rows' MFU)");

        using var dataset = DataFolder.Load(dataFolder, device);
        double gpuPeakMb = 0;
        void SampleGpuMemory()
        {
            if (cuda && GpuMemory.Read() is { } reading) gpuPeakMb = Math.Max(gpuPeakMb, reading.UsedMb);
        }
        var rows = new List<BenchRow>();
        _console.Out.WriteLine();
        _console.Out.WriteLine("cell  batch  precision   samples/s  GFLOP/s   MFU");
        foreach (var (cell, batch) in Configurations)
            foreach (var precision in precisions)
            {
                double perSecond = Median(repeats, () => TrainingThroughput(dataset, device, stepMode, cell, batch, precision, samples));
                SampleGpuMemory();
                double flops = FlopCount.Training(cell, dataset.Columns, 128, dataset.Classes, dataset.Rows);
                double reference = precision == Precision.Bf16Mixed ? bf16Gemm!.Value : sgemm;
                var row = new BenchRow(cell.ToName(), batch, precision.ToName(), Math.Round(perSecond, 1), Math.Round(perSecond * flops / 1e9, 2),
                    Math.Round(perSecond * flops / 1e9 / reference, 3));
                rows.Add(row);
                _console.Out.WriteLine($"{row.Cell,-4}  {row.Batch,5}  {row.Precision,-10}  {row.SamplesPerSecond,9:N0}  {row.Gflops,7:F1}  {row.Mfu,5:F2}");
            }
        var profiles = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        var heldForBackward = new Dictionary<string, double?>();
        foreach (var precision in precisions)
        {
            var profile = StepProfile.Measure(dataset, device, CellKind.Lstm, batch: 100, precision);
            var operations = StepProfile.Operations(precision);
            _console.Out.WriteLine();
            string format = precision == Precision.Float32 ? "float32" : precision.ToName();
            _console.Out.WriteLine(cuda
                ? $"where a synchronous LSTM step of batch 100 in {format} spends its {profile.Sum():F2} ms, waiting for the GPU after every operation:"
                : $"where an LSTM step of batch 100 in {format} spends its {profile.Sum():F2} ms:");
            for (int i = 0; i < profile.Length; i++)
                _console.Out.WriteLine($"  {operations[i],-17} {profile[i],6:F3} ms  {100 * profile[i] / profile.Sum(),5:F1}%");
            profiles[precision.ToName()] = operations.Select((name, i) => (name, Math.Round(profile[i], 4))).ToDictionary(p => p.name, p => p.Item2);
            heldForBackward[precision.ToName()] = StepProfile.HeldForBackwardMb(dataset, device, CellKind.Lstm, MemoryBatch, precision);
        }
        _console.Out.WriteLine();
        _console.Out.WriteLine(heldForBackward.Values.All(mb => mb is null)
            ? $"memory an LSTM step of batch {MemoryBatch} holds for its backward pass: not measured (only on the CPU, with glibc and --allocator tuned)"
            : $"memory an LSTM step of batch {MemoryBatch} holds for its backward pass (activations, logits, loss): " +
              string.Join(", ", heldForBackward.Select(p => $"{p.Value:F1} MB in {p.Key}")));
        double evalSeconds = Median(repeats, () => EvaluationSeconds(dataset, device));
        SampleGpuMemory();
        double peak = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1);
        _console.Out.WriteLine();
        _console.Out.WriteLine($"evaluate the LSTM on {dataset.Test.Count:N0} test images: {evalSeconds:F3} s ({dataset.Test.Count / evalSeconds:N0} images/s)");
        using var onCpu = device.type == TorchSharp.DeviceType.CPU ? null : DataFolder.Load(dataFolder, CPU);
        var inference = InferenceComparison.Measure(onCpu ?? dataset);
        _console.Out.WriteLine();
        _console.Out.WriteLine($"inference on the CPU, hidden 128: load, latency for one image ({InferenceComparison.Calls} calls), throughput on the test set (batches of {InferenceComparison.Batch})");
        _console.Out.WriteLine("engine        cell  load ms  median ms  p99 ms   images/s");
        foreach (var row in inference)
            _console.Out.WriteLine($"{row.Engine,-12}  {row.Cell,-4}  {row.LoadMilliseconds,7:F1}  {row.LatencyMedianMilliseconds,9:F3}  {row.LatencyP99Milliseconds,6:F3}  {row.ImagesPerSecond,9:N0}");
        _console.Out.WriteLine($"peak working set: {peak:F0} MB");
        var gpu = cuda ? GpuMemory.Read() : null;
        if (gpu is { } total)
            _console.Out.WriteLine($"GPU memory in use (whole device, sampled after each measurement): peak {gpuPeakMb:F0} MB of {total.TotalMb:F0} MB");
        else if (cuda)
            _console.Out.WriteLine("GPU memory: no CUDA runtime library found to ask");

        if (jsonPath is not null)
        {
            var report = new BenchReport(device.ToString(), stepMode.ToString(), get_num_threads(), Environment.ProcessorCount, Math.Round(loadSeconds, 4),
                Math.Round(sgemm, 1), bf16Gemm is double b ? Math.Round(b, 1) : null, rows, profiles, heldForBackward, Math.Round(evalSeconds, 4),
                Math.Round(dataset.Test.Count / evalSeconds, 0), inference, peak, gpu is null ? null : gpuPeakMb, gpu?.TotalMb);
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

    // C = A·B into a preallocated C (addmm_ with beta 0), so only the product itself is timed; on a GPU the clock
    // stops when the device has finished, not when the launches were queued.
    private static double Gemm(Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var a = randn(SgemmSize, SgemmSize, dtype: dtype, device: device);
        var b = randn(SgemmSize, SgemmSize, dtype: dtype, device: device);
        var c = empty(SgemmSize, SgemmSize, dtype: dtype, device: device);
        for (int i = 0; i < 2; i++) c.addmm_(a, b, beta: 0); // warm-up: thread pool, caches, cuBLAS handles
        Synchronize(device);
        int products = device.type == TorchSharp.DeviceType.CUDA ? 100 : 10;
        double seconds = Time(() =>
        {
            for (int i = 0; i < products; i++) c.addmm_(a, b, beta: 0);
            Synchronize(device);
        });
        return products * 2.0 * Math.Pow(SgemmSize, 3) / seconds / 1e9;
    }

    // The real training loop (Trainer with the default clipping and metrics), timed between the end of
    // the warm-up steps and the last step, so start-up and the first allocations are left out.
    // The clock is read when a step is reported: in the synchronous mode as each step ends, in the resident mode when
    // a batch of steps is read back, after the device has finished them. Both ends are then such points: the warm-up
    // fills exactly one batch, and the last step is always read back.
    private double TrainingThroughput(MnistDataset dataset, Device device, StepExecution stepMode, CellKind cell, int batch, Precision precision, int samples)
    {
        int warmup = stepMode == StepExecution.DeviceResident ? Trainer.MaxPendingSteps : Math.Max(5, 2000 / batch);
        int measured = Math.Max(10, samples / batch);
        var trainer = new Trainer(new TrainingOptions
        {
            Cell = cell,
            BatchSize = batch,
            Steps = warmup + measured,
            StallWindow = 0,
            StepExecution = stepMode,
            Precision = precision,
            // The count the table's header reports, not one the trainer would choose from the load of the moment.
            Threads = get_num_threads(),
            LogCadence = LogCadence.EveryNSteps(int.MaxValue),
            CheckpointEvery = 0,
        });
        using var model = trainer.CreateModel(device, dataset);
        var clock = new Stopwatch();
        using var progress = new ProgressLine($"{cell.ToName()} batch {batch} {precision.ToName()}", _console);
        trainer.Callbacks.Add(new TrainingObserver
        {
            StepCompleted = m =>
            {
                if (m.Step == warmup) clock.Start();
                if (m.Step == warmup + measured) clock.Stop();
            },
        });
        trainer.Callbacks.Add(progress);
        trainer.Train(model, dataset.Train);
        return measured * (double)batch / clock.Elapsed.TotalSeconds;
    }

    private static double EvaluationSeconds(MnistDataset dataset, Device device)
    {
        var trainer = new Trainer(new TrainingOptions { Steps = 1, StallWindow = 0 });
        using var model = trainer.CreateModel(device, dataset);
        using var test = dataset.Test.ToSequences(SequenceOrder.Rows, dataset.Classes);
        return Time(() => ModelEvaluation.Evaluate(model, test));
    }

    private static void Synchronize(Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(device);
    }
}
