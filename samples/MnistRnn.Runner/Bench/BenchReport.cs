namespace MnistRnn.Runner.Bench;

/// <summary>Training throughput of one configuration.</summary>
internal sealed record BenchRow(string Cell, int Batch, string Precision, double SamplesPerSecond, double Gflops, double Mfu);

/// <summary>What <c>bench --json</c> writes, so runs on different machines or commits can be compared.</summary>
internal sealed record BenchReport(
    string Device,
    string StepMode,
    int Threads,
    int LogicalCores,
    double LoadSeconds,
    double SgemmGflops,
    double? Bf16GemmGflops,
    IReadOnlyList<BenchRow> Training,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> LstmStepMilliseconds,
    IReadOnlyDictionary<string, double?> LstmBatch1000HeldForBackwardMb,
    double EvaluationSeconds,
    double EvaluationImagesPerSecond,
    IReadOnlyList<InferenceRow> Inference,
    double PeakWorkingSetMb,
    double? GpuMemoryInUsePeakMb,
    double? GpuMemoryTotalMb);
