using Microsoft.Extensions.Logging;

namespace MnistRnn.Runner.Output;

/// <summary>The runner's own log lines, beside the library's.</summary>
internal static partial class RunnerLog
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Information,
        Message = "evaluating the weights of step {Step}, the best validation (loss {Loss:F5}, accuracy {Accuracy:F5}); training {HowItEnded}")]
    public static partial void EvaluatingBest(ILogger logger, int step, double loss, double accuracy, string howItEnded);
}
