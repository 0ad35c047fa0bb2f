using System.Text.Json;

namespace MnistRnn.Tests.Support;

/// <summary>What the sweep tests read back from a sweep's folder.</summary>
internal static class SweepFolders
{
    /// <summary>Every trial's test accuracy, in trial order; a trial without a summary fails the test, naming its files.</summary>
    public static double[] Accuracies(string sweep) =>
        Directory.GetDirectories(Path.Combine(sweep, "trials")).Order().Select(folder =>
        {
            string summary = Path.Combine(folder, "summary.json");
            Assert.That(File.Exists(summary), Is.True, $"{summary}: {string.Join(" | ", Directory.GetFiles(folder).Select(Path.GetFileName))}");
            using var json = JsonDocument.Parse(File.ReadAllText(summary));
            return json.RootElement.GetProperty("test_accuracy").GetDouble();
        }).ToArray();
}
