namespace MnistRnn.Runner.Bench;

/// <summary>Training throughput of one configuration.</summary>
internal sealed record BenchRow(string Cell, int Batch, double SamplesPerSecond, double Gflops, double Mfu);

/// <summary>What <c>bench --json</c> writes, so runs on different machines or commits can be compared.</summary>
internal sealed record BenchReport(
    string Device,
    string StepMode,
    int Threads,
    int LogicalCores,
    double LoadSeconds,
    double SgemmGflops,
    IReadOnlyList<BenchRow> Training,
    IReadOnlyDictionary<string, double> LstmStepMilliseconds,
    double EvaluationSeconds,
    double EvaluationImagesPerSecond,
    IReadOnlyList<InferenceRow> Inference,
    double PeakWorkingSetMb,
    double? GpuMemoryInUsePeakMb,
    double? GpuMemoryTotalMb);
