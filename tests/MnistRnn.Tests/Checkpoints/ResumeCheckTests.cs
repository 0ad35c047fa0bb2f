using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Checkpoints;

/// <summary>
/// Whether a run may continue a checkpoint is decided in one place, <see cref="CheckpointResume.Problems"/>, which returns
/// every problem with the setting it concerns; the trainer refuses a resume with its first, the setting carried as data.
/// </summary>
[Category("Unit")]
public sealed class ResumeCheckTests
{
    private TempFolder _folder = null!;
    private SequenceDataset _data = null!;
    private Checkpoint _checkpoint = null!;

    private static readonly TrainingOptions Options = new()
    {
        Cell = CellKind.Lstm, Steps = 4, BatchSize = 16, HiddenSize = 8, Device = DeviceChoice.Cpu, CheckpointEvery = 0, StallWindow = 0,
    };

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _folder = new TempFolder();
        _data = LearnableTasks.Brightness(seed: 3);
        var trainer = new Trainer(Options) { Callbacks = [new CheckpointStore(_folder.Path)] };
        using var model = trainer.CreateModel(_data);
        _checkpoint = CheckpointFile.Read(trainer.Train(model, _data).LastCheckpoint!);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        _data.Dispose();
        _folder.Dispose();
    }

    [Test]
    public void Every_problem_is_returned_with_the_setting_it_concerns()
    {
        var options = _checkpoint.Info.Options with { HiddenSize = 16, Seed = 2, EarlyStopPatience = 3 };

        var problems = CheckpointResume.Problems(options, _checkpoint);

        Assert.That(problems.Select(p => (p.Kind, p.Setting)), Is.EqualTo(new (ResumeProblemKind, string?)[]
        {
            (ResumeProblemKind.SettingChanged, nameof(TrainingOptions.HiddenSize)),
            (ResumeProblemKind.SettingChanged, nameof(TrainingOptions.Seed)),
            (ResumeProblemKind.SettingChanged, nameof(TrainingOptions.EarlyStopPatience)),
            (ResumeProblemKind.NothingToTrain, nameof(TrainingOptions.Steps)),
            (ResumeProblemKind.CheckpointContradictsItself, nameof(TrainingOptions.EarlyStopPatience)),
        }));
        Assert.That(problems[0].Message, Is.EqualTo("TrainingOptions.HiddenSize is 16 but the checkpoint's run used 8; " +
            "a resumed run keeps its settings, so start from the checkpoint's Info.Options and change only Steps or how it reports."));
        Assert.That((problems[0].Given, problems[0].Saved), Is.EqualTo((16, 8)));
        Assert.That(CheckpointResume.Problems(_checkpoint.Info.Options with { Steps = 5 }, _checkpoint), Is.Empty);
    }

    [Test]
    public void The_trainer_refuses_a_resume_with_the_first_problem_and_its_setting()
    {
        var options = _checkpoint.Info.Options with { Steps = 5, BatchSize = 8 };
        var trainer = new Trainer(options);
        using var model = trainer.CreateModel(_data);

        var error = Assert.Throws<CheckpointException>(() => trainer.Train(model, _data, resume: _checkpoint))!;

        Assert.That(error.Setting, Is.EqualTo(nameof(TrainingOptions.BatchSize)));
        Assert.That(error.Message, Is.EqualTo($"{_checkpoint.Path}: TrainingOptions.BatchSize is 8 but the checkpoint's run used 16; " +
            "a resumed run keeps its settings, so start from the checkpoint's Info.Options and change only Steps or how it reports."));
    }

    [Test]
    public void A_checkpoint_whose_settings_contradict_what_it_holds_is_refused_by_the_library_in_one_sentence()
    {
        // Crafted with a valid checksum: the run held out nothing, but its settings ask for early stopping.
        string crafted = _folder.File("crafted.ckpt");
        File.WriteAllBytes(crafted, CheckpointSeal.WithHeader(File.ReadAllBytes(_checkpoint.Path), header => header["run"]!["early_stop_patience"] = 2));
        var checkpoint = CheckpointFile.Read(crafted);
        var trainer = new Trainer(checkpoint.Info.Options with { Steps = 5 });
        using var model = trainer.CreateModel(_data);

        var error = Assert.Throws<CheckpointException>(() => trainer.Train(model, _data, validation: _data, resume: checkpoint))!;

        Assert.That(error.Setting, Is.EqualTo(nameof(TrainingOptions.EarlyStopPatience)));
        Assert.That(error.Message, Does.StartWith(crafted).And.Contain("contradicts itself").And.Not.Contain("\n"));
    }

    [Test]
    public void A_checkpoint_that_says_it_trained_in_auto_precision_is_refused_when_read()
    {
        // Auto decides a precision when training starts; a run records the one it trained in, so only a crafted file says auto.
        string crafted = _folder.File("auto.ckpt");
        File.WriteAllBytes(crafted, CheckpointSeal.WithHeader(File.ReadAllBytes(_checkpoint.Path), header => header["run"]!["precision"] = "auto"));

        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(crafted))!;

        Assert.That(error.Message, Is.EqualTo($"{crafted}: the checkpoint's options are not valid (the precision is auto, which no run trains in)."));
    }
}
