using MnistRnn.Checkpoints;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Checkpoints;

/// <summary>
/// A checkpoint written by the runner of commit c9a1269, before validation, early stopping and the TorchSharp-driven
/// schedules (<c>train --steps 3 --hidden 8 --batch-size 10 --threads 1</c> on the vendored MNIST): it still reads,
/// evaluates and resumes.
/// </summary>
[Category("Regression")]
public sealed class EarlierCheckpointTests
{
    private static string Fixture => Path.Combine(RepositoryPaths.Root, "tests", "MnistRnn.Tests", "Fixtures", "checkpoint-from-c9a1269.ckpt");

    [Test]
    public void It_reads_with_the_defaults_of_what_it_does_not_record()
    {
        var checkpoint = CheckpointFile.Read(Fixture);

        Assert.That(checkpoint.Info.Step, Is.EqualTo(3));
        Assert.That(checkpoint.Info.Options.HiddenSize, Is.EqualTo(8));
        Assert.That(checkpoint.Info.Options.Schedule.ToString(), Is.EqualTo("constant"));
        Assert.That(checkpoint.Info.Options.EarlyStopPatience, Is.Null);
        Assert.That(checkpoint.Info.Options.RestoreBestWeights, Is.False);
        Assert.That(checkpoint.Info.Threads, Is.Null);
        Assert.That(checkpoint.Validations, Is.Empty);
    }

    [Test]
    public void It_evaluates_to_the_line_its_run_printed_and_resumes()
    {
        using var folder = new TempFolder();
        string copy = Path.Combine(folder.Path, "run", "checkpoint-step-0000003.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(Fixture, copy);

        var evaluation = RunnerInProcess.Run("eval", "--checkpoint", copy, "--data", RepositoryPaths.Mnist, "--out", folder.File("eval"));
        Assert.That(evaluation.ExitCode, Is.EqualTo(0), evaluation.Error);
        // What c9a1269's train printed after its last step.
        Assert.That(evaluation.Output, Does.Contain("test loss 2.30941, accuracy 0.10410"));

        var resumed = RunnerInProcess.Run("train", "--resume", copy, "--steps", "5", "--log-every", "1", "--data", RepositoryPaths.Mnist);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Error);
        Assert.That(resumed.Output, Does.StartWith("step 4, ").And.Contain("step 5, "));
        Assert.That(CheckpointStore.List(Path.GetDirectoryName(copy)!).Select(Path.GetFileName), Does.Contain("checkpoint-step-0000005.ckpt"));
    }
}
