using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary><c>eval</c> and <c>predict</c> read exported models and PyTorch state_dicts as they read checkpoints.</summary>
[Category("RunnerInProcess")]
public sealed class ModelFileCommandsTests
{
    private TempFolder _folder = null!;
    private string _data = null!;
    private string _checkpoints = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _folder = new TempFolder();
        _data = IdxWriter.Folder(_folder.File("data"), trainCount: 40, testCount: 20);
        _checkpoints = _folder.File("run");
        var train = RunnerInProcess.Run("train", "--data", _data, "--steps", "10", "--batch-size", "10", "--hidden", "8", "--device", "cpu", "--out", _checkpoints);
        Assert.That(train.ExitCode, Is.EqualTo(0), train.Error);
        foreach (string format in new[] { "safetensors", "pt" })
        {
            var export = RunnerInProcess.Run("export", "--checkpoint", _checkpoints, "--out", _folder.File($"model.{format}"));
            Assert.That(export.ExitCode, Is.EqualTo(0), export.Error);
        }
    }

    [OneTimeTearDown]
    public void CleanUp() => _folder.Dispose();

    private static string AccuracyLine(DotnetProcess.Result run)
    {
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        return run.Output.Split('\n').Single(l => l.StartsWith("test loss ", StringComparison.Ordinal));
    }

    [TestCase("model.safetensors")]
    [TestCase("model.pt", "--hidden", "8")]
    public void Eval_of_an_exported_model_equals_eval_of_its_checkpoint(string file, params string[] architecture)
    {
        string fromCheckpoint = AccuracyLine(RunnerInProcess.Run("eval", "--checkpoint", _checkpoints, "--data", _data, "--out", _folder.File($"eval-ckpt-{file}")));
        var run = RunnerInProcess.Run(["eval", "--checkpoint", _folder.File(file), "--data", _data, "--out", _folder.File($"eval-{file}"), .. architecture]);

        Assert.That(AccuracyLine(run), Is.EqualTo(fromCheckpoint));
        Assert.That(run.Output, Does.StartWith(file.EndsWith(".pt") ? $"PyTorch state_dict {_folder.File(file)}: lstm, hidden 8" : $"model file {_folder.File(file)}: lstm, hidden 8"));
    }

    [Test]
    public void Predict_of_a_state_dict_equals_predict_of_its_checkpoint()
    {
        var fromCheckpoint = RunnerInProcess.Run("predict", "--checkpoint", _checkpoints, "--data", _data, "idx:0", "idx:3");
        var fromStateDict = RunnerInProcess.Run("predict", "--checkpoint", _folder.File("model.pt"), "--hidden", "8", "--data", _data, "idx:0", "idx:3");

        Assert.That(fromCheckpoint.ExitCode, Is.EqualTo(0), fromCheckpoint.Error);
        Assert.That(fromStateDict.Output, Is.EqualTo(fromCheckpoint.Output));
    }

    [Test]
    public void A_state_dict_read_as_another_architecture_names_its_first_mis_shaped_weight() =>
        UserErrorAssert.OneSentence(
            RunnerInProcess.Run("eval", "--checkpoint", _folder.File("model.pt"), "--hidden", "16", "--data", _data, "--out", _folder.File("eval-wrong")), 6,
            $"--checkpoint: {_folder.File("model.pt")}: weight recurrent.weight_ih_l0 has shape (32, 28) where a lstm, hidden 16, 28 input features, 10 classes model needs (64, 28).");

    [Test]
    public void Architecture_flags_are_refused_for_a_file_that_records_its_architecture() =>
        UserErrorAssert.OneSentence(
            RunnerInProcess.Run("eval", "--checkpoint", _checkpoints, "--hidden", "8", "--data", _data, "--out", _folder.File("eval-flag")), 2,
            $"--hidden: {_checkpoints} records its architecture; the architecture flags are for PyTorch state_dicts, so drop it.");
}
