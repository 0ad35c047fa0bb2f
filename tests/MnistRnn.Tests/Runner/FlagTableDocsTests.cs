using MnistRnn.Runner.Output;
using MnistRnn.Runner.Train;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary>
/// docs/runner.md's table of train's flags is generated from the flags themselves (each setting's declaration on
/// TrainingOptions); this fails when the page is stale, and with MNIST_RNN_WRITE_DOCS=1 rewrites it.
/// </summary>
[Category("Unit")]
public sealed class FlagTableDocsTests
{
    private const string Start = "<!-- train flags: generated from the settings' declarations; MNIST_RNN_WRITE_DOCS=1 dotnet test --filter FlagTableDocsTests rewrites it -->";
    private const string End = "<!-- end of train flags -->";

    [Test]
    public void The_runner_page_shows_trains_flags_as_they_are_declared()
    {
        string path = Path.Combine(RepositoryPaths.Root, "docs", "runner.md");
        string page = File.ReadAllText(path);
        int start = page.IndexOf(Start, StringComparison.Ordinal), end = page.IndexOf(End, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0).And.LessThan(end), $"{path} has no generated flag table between its markers");
        string generated = new TrainCommand(new RunnerConsole(TextWriter.Null, TextWriter.Null)).FlagTable();
        string shown = page[(start + Start.Length)..end].Trim('\n') + "\n";

        if (shown != generated && Environment.GetEnvironmentVariable("MNIST_RNN_WRITE_DOCS") == "1")
        {
            File.WriteAllText(path, page[..(start + Start.Length)] + "\n" + generated + page[end..]);
            Assert.Inconclusive($"rewrote the flag table of {path}; check the diff and commit it");
        }
        Assert.That(shown, Is.EqualTo(generated), "docs/runner.md's flag table is stale: run MNIST_RNN_WRITE_DOCS=1 dotnet test --filter FlagTableDocsTests");
        Assert.That(generated, Does.Contain("| `--ema DECAY` | 0 |").And.Contain("| `--model rnn\\|lstm\\|gru\\|irnn` | lstm |"), "the declarations' names and defaults");
    }
}
