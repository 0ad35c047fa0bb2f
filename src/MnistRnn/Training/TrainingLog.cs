using Microsoft.Extensions.Logging;

namespace MnistRnn.Training;

/// <summary>The library's log messages, in the experiment's format.</summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "step {Step}, loss {Loss:F5}, accuracy {Accuracy:F3}, mean of {WeightCell} weight {WeightMean:F5}, mean of {OutputCell} out {OutputMean:F5}, grad norm {GradNorm:F5}, saturation {Saturation:F3}")]
    public static partial void Step(ILogger logger, int step, double loss, double accuracy,
        string weightCell, double weightMean, string outputCell, double outputMean, double gradNorm, double saturation);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "step {Step}: training has stalled; over the last {Window} steps the loss averaged {Loss:F3} (a uniform guess scores {Chance:F3}) and accuracy {Accuracy:F3}; {Advice}.")]
    public static partial void Stalled(ILogger logger, int step, int window, double loss, double chance, double accuracy, string advice);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "final loss {Loss:F5}, accuracy {Accuracy:F5}")]
    public static partial void Final(ILogger logger, double loss, double accuracy);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug,
        Message = "training {Cell} on {Device}: {Steps} steps of batch {BatchSize}, lr {LearningRate}, clip norm {ClipNorm}, clip value {ClipValue}, seed {Seed}")]
    public static partial void Starting(ILogger logger, string cell, string device, int steps, int batchSize,
        double learningRate, string clipNorm, string clipValue, long seed);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning,
        Message = "step {Step}: loss {Loss} or gradient norm {GradNorm} is not finite; the update was skipped ({InARow} in a row, training stops at {Limit}).")]
    public static partial void NonFinite(ILogger logger, int step, double loss, double gradNorm, int inARow, int limit);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "validation at step {Step}, loss {Loss:F5}, accuracy {Accuracy:F5}{Best}")]
    public static partial void Validation(ILogger logger, int step, double loss, double accuracy, string best);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information,
        Message = "stopping early after step {Step}: {Count} validations in a row did not improve on the best, at step {BestStep}")]
    public static partial void StoppedEarly(ILogger logger, int step, int count, int bestStep);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "checkpoint after step {Step} written to {Path}")]
    public static partial void CheckpointWritten(ILogger logger, int step, string path);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information,
        Message = "stopping after step {Step}: the time budget of {Budget} is spent (trained {Trained})")]
    private static partial void TimeBudgetSpent(ILogger logger, int step, string budget, string trained);

    public static void TimeBudgetSpent(ILogger logger, int step, TimeSpan budget, TimeSpan trained) =>
        TimeBudgetSpent(logger, step, WholeSeconds(budget), WholeSeconds(trained));

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "precision auto: {Precision}, because {Reason}")]
    public static partial void PrecisionChosen(ILogger logger, string precision, string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning,
        Message = "{Path} holds the state of a callback this run does not have ({Section}); the resumed run goes on without it.")]
    public static partial void SectionDropped(ILogger logger, string section, string path);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "precision {Precision}: {Reason}")]
    public static partial void PrecisionEmulated(ILogger logger, string precision, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "threads {Threads}, because {Reason}")]
    public static partial void ThreadsChosen(ILogger logger, int threads, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "threads {Threads}, because {Reason}")]
    public static partial void ThreadsKept(ILogger logger, int threads, string reason);

    private static string WholeSeconds(TimeSpan time) => TimeSpan.FromSeconds(Math.Floor(time.TotalSeconds)).ToString("c");
}
