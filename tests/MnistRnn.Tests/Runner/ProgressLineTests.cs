using System.Diagnostics;
using System.Text.RegularExpressions;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary>
/// The live progress line appears on a terminal and nowhere else. A terminal is given to the runner by util-linux's
/// <c>script</c>, which runs a command under a pseudo-terminal and copies everything it shows.
/// </summary>
[Category("RunnerProcess")]
public sealed class ProgressLineTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private string[] TrainArguments(string data, string output) =>
        ["train", "--data", data, "--steps", "40", "--log-every", "20", "--batch-size", "10", "--threads", "1", "--device", "cpu", "--out", output];

    // What the runner shows on a pseudo-terminal, run under script(1) with these arguments; it must succeed.
    private static string ShownOnATerminal(string[] arguments)
    {
        string command = string.Join(' ', ((string[])["dotnet", Path.Combine(AppContext.BaseDirectory, "mnist-rnn.dll"), .. arguments]).Select(a => $"'{a}'"));
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-qfec", command, "/dev/null" }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string shown = process.StandardOutput.ReadToEnd();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(2)), Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(0), shown + error.Result);
        return shown;
    }

    [Test]
    public void Redirected_output_has_no_progress_line()
    {
        string data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20);
        var run = RunnerProcess.Run(TrainArguments(data, _folder.File("out")));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Error);
        // Ordinal: NUnit's substring test is culture-aware, to which control characters are invisible.
        Assert.That((run.Output + run.Error).IndexOfAny(['\u001b', '\r']), Is.EqualTo(-1), "no escape sequence or carriage return");
        Assert.That(run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]),
            Is.EqualTo(new[] { "step 20,", "step 40,", "final loss" }));
    }

    [Test]
    public void On_a_terminal_a_progress_line_is_drawn_and_erased_around_the_same_log_lines()
    {
        if (!File.Exists("/usr/bin/script")) Assert.Inconclusive("util-linux's script, which gives the runner a terminal, is not installed.");
        string data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20);
        var plain = RunnerProcess.Run(TrainArguments(data, _folder.File("plain")));
        Assert.That(plain.ExitCode, Is.EqualTo(0), plain.Error);

        string shown = ShownOnATerminal(TrainArguments(data, _folder.File("terminal")));

        Assert.That(shown.Contains("\r\u001b[Klstm  step 40/40 (100%)", StringComparison.Ordinal), Is.True, shown);
        Assert.That(shown, Does.Match(@"\d[\d,]* samples/s  loss \d+\.\d{4}  ETA \d+:\d\d"));
        // What is left once every progress line is erased: the plain run's lines, word for word (the terminal shows both
        // streams: the experiment's lines, then where the checkpoint went, which names the other run's folder).
        string erased = Regex.Replace(shown, "\r\u001b\\[K[^\r\n]*(?=\r\u001b\\[K)|\r\u001b\\[K", "").Replace("\u001b[?1h\u001b=", "").Replace("\r\n", "\n");
        string plainLines = plain.Output + plain.Error.Replace(_folder.File("plain"), _folder.File("terminal"));
        Assert.That(erased.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(plainLines.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Test]
    public void A_comparison_on_a_terminal_draws_each_runs_progress_line_there_and_keeps_its_log_plain()
    {
        if (!File.Exists("/usr/bin/script")) Assert.Inconclusive("util-linux's script, which gives the runner a terminal, is not installed.");
        string data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20);
        string[] arguments = ["compare", "--runs", "lstm", "gru", "--data", data, "--steps", "40", "--batch-size", "10", "--threads", "1", "--device", "cpu",
            "--out", _folder.File("report")];

        string shown = ShownOnATerminal(arguments);

        Assert.That(shown.Contains("\r\u001b[Klstm  step 40/40 (100%)", StringComparison.Ordinal), Is.True, shown);
        Assert.That(shown.Contains("\r\u001b[Kgru  step 40/40 (100%)", StringComparison.Ordinal), Is.True, shown);
        foreach (string trial in new[] { "0000", "0001" })
            Assert.That(File.ReadAllText(Path.Combine(_folder.File("report"), "trials", trial, "train.log")).IndexOfAny(['\u001b', '\r']), Is.EqualTo(-1), trial);
    }
}
