using System.Text.Json;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Regression;

/// <summary>
/// The experiment's LSTM as <c>mnist-rnn train</c> trains it with no flags but one thread (5000 steps, seed 1, float32), trained once per test run in a child process for every regression that needs it: the LSTM's
/// accuracy and its ONNX export read the same run, which each used to train again. Its folder goes when the
/// regressions end.
/// </summary>
[SetUpFixture]
[Parallelizable(ParallelScope.Self)]
public sealed class ExperimentLstm
{
    private static readonly TempFolder Folder = new();
    private static readonly Lazy<double> Accuracy = new(Train);

    /// <summary>The run's checkpoint folder, trained first if no test has asked yet.</summary>
    public static string Checkpoints
    {
        get
        {
            _ = Accuracy.Value;
            return Folder.File("run");
        }
    }

    /// <summary>The run's test accuracy, as its summary gives it.</summary>
    public static double TestAccuracy => Accuracy.Value;

    private static double Train()
    {
        string summaryPath = Folder.File("summary.json");
        var result = RunnerProcess.RunFor(TimeSpan.FromMinutes(20), AppContext.BaseDirectory, "--threads", "1", "train", "--out", Folder.File("run"), "--summary", summaryPath);
        Assert.That(result.ExitCode, Is.EqualTo(0), $"train: {result.Error}");
        using var summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
        var root = summary.RootElement;
        double accuracy = root.GetProperty("test_accuracy").GetDouble();
        TestContext.Out.WriteLine($"train (the experiment's LSTM): test accuracy {accuracy:F4}, test loss {root.GetProperty("test_loss").GetDouble():F5}, " +
            $"{root.GetProperty("train_seconds").GetDouble():F1} s on {root.GetProperty("threads").GetInt32()} threads");
        return accuracy;
    }

    [OneTimeTearDown]
    public void RemoveTheRun() => Folder.Dispose();
}
