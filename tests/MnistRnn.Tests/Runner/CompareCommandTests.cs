using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

[Category("RunnerInProcess")]
public sealed class CompareCommandTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [TestCase("transformer", "--runs: in 'transformer', 'transformer' is not a cell")]
    [TestCase("rnn:lr=fast", "--runs: in 'rnn:lr=fast', --lr: 'fast' is not a number")]
    [TestCase("rnn:momentum=0.9", "--runs: in 'rnn:momentum=0.9', 'momentum=0.9' sets no known key")]
    [TestCase("rnn:clip-norm=-1", "--clip-norm must be a positive number")]
    public void A_malformed_configuration_is_a_usage_error(string spec, string message)
    {
        var result = RunnerInProcess.Run("compare", "--runs", spec, "--out", Path.Combine(_folder.Path, "report"));

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error.Trim(), Does.Contain(message).And.Not.Contain("\n"));
        Assert.That(Directory.Exists(Path.Combine(_folder.Path, "report")), Is.False, "nothing is created before the options are checked");
    }

    [Test]
    public void The_same_configuration_twice_is_a_usage_error()
    {
        var result = RunnerInProcess.Run("compare", "--runs", "lstm", "lstm");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain("'lstm' is given twice"));
    }

    [Test]
    public void A_report_folder_with_files_in_it_is_refused_and_left_alone()
    {
        string report = Path.Combine(_folder.Path, "report");
        Directory.CreateDirectory(report);
        File.WriteAllText(Path.Combine(report, "report.md"), "an earlier report");

        var result = RunnerInProcess.Run("compare", "--runs", "lstm", "--steps", "1", "--out", report);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain($"--out: folder {report} already holds files"));
        Assert.That(File.ReadAllText(Path.Combine(report, "report.md")), Is.EqualTo("an earlier report"));
    }
}
