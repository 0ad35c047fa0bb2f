using MnistRnn.Checkpoints;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Checkpoints;

/// <summary>
/// Checkpoints of earlier layouts, read through the one reader of older layouts. A checkpoint written by the runner of commit c9a1269, before validation, early stopping and the TorchSharp-driven
/// schedules (<c>train --steps 3 --hidden 8 --batch-size 10 --threads 1</c> on the vendored MNIST): it still reads,
/// evaluates and resumes. One written by d03250a, the last commit of layout 1, of a validated run with the best weights and a
/// plateau schedule (<c>train --steps 6 --hidden 8 --batch-size 10 --threads 1 --validation 100 --validate-every 2 --schedule plateau
/// --keep-best --checkpoint-every 3</c>, its step-3 checkpoint): it resumes to print what its own run printed after step 3.
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

        // A checkpoint of c9a1269 records no thread count; one is given so that no load reading adds a line before the steps.
        var resumed = RunnerInProcess.Run("train", "--resume", copy, "--steps", "5", "--log-every", "1", "--threads", "1", "--data", RepositoryPaths.Mnist);
        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Error);
        Assert.That(resumed.Output, Does.StartWith("step 4, ").And.Contain("step 5, "));
        Assert.That(CheckpointStore.List(Path.GetDirectoryName(copy)!).Select(Path.GetFileName), Does.Contain("checkpoint-step-0000005.ckpt"));
    }

    private static string LastLayoutOneFixture => Path.Combine(RepositoryPaths.Root, "tests", "MnistRnn.Tests", "Fixtures", "checkpoint-from-d03250a.ckpt");

    [Test]
    public void A_validated_run_of_the_last_layout_one_evaluates_and_resumes_to_print_what_its_own_run_printed()
    {
        using var folder = new TempFolder();
        string copy = Path.Combine(folder.Path, "run", "checkpoint-step-0000003.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(LastLayoutOneFixture, copy);
        var checkpoint = CheckpointFile.Read(copy);
        Assert.That(checkpoint.Validations.Select(v => v.Step), Is.EqualTo(new[] { 2 }));
        Assert.That(checkpoint.SectionNames, Is.SupersetOf(new[] { "model", "adam", "batches", "torch", "validation", "learning_rate" }));

        var evaluation = RunnerInProcess.Run("eval", "--checkpoint", copy, "--data", RepositoryPaths.Mnist, "--out", folder.File("eval"));
        Assert.That(evaluation.ExitCode, Is.EqualTo(0), evaluation.Error);
        // What d03250a's eval printed for it.
        Assert.That(evaluation.Output, Does.Contain("test loss 2.30533, accuracy 0.10370 on 10000 images"));

        var resumed = RunnerInProcess.Run("train", "--resume", copy, "--steps", "6", "--log-every", "1", "--data", RepositoryPaths.Mnist);

        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Error);
        // What d03250a's uninterrupted run printed after step 3.
        Assert.That(resumed.Output.Split('\n').Take(7), Is.EqualTo(new[]
        {
            "step 4, loss 2.22047, accuracy 0.400, mean of lstm weight 0.00168, mean of lstm out -0.04750, grad norm 0.38468, saturation 0.000",
            "validation at step 4, loss 2.29604, accuracy 0.13000 (best)",
            "step 5, loss 2.23634, accuracy 0.200, mean of lstm weight 0.00184, mean of lstm out -0.04698, grad norm 0.18678, saturation 0.000",
            "step 6, loss 2.26532, accuracy 0.100, mean of lstm weight 0.00167, mean of lstm out -0.04230, grad norm 0.39339, saturation 0.000",
            "validation at step 6, loss 2.29173, accuracy 0.13000 (best)",
            "evaluating the weights of step 6, the best validation (loss 2.29173, accuracy 0.13000); training ran all 6 steps",
            "final loss 2.30258, accuracy 0.10390",
        }));
    }
}
