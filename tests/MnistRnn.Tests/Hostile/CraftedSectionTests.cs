using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Hostile;

/// <summary>
/// Checkpoint sections crafted to contradict the run or hold what no run writes, each re-sealed with a valid SHA-256: a weight
/// average without its setting or the setting without the average, non-finite weights in any weights section, negative Adam
/// second moments, a stall window larger than its run watched or with sums that cannot be, and a callback's section that
/// the resumed run has no callback for. Each is refused as a corrupt checkpoint naming the file (not as a diverged run), or,
/// for the last, resumed with a warning that names the section.
/// </summary>
[Category("Hostile")]
public sealed class CraftedSectionTests
{
    private TempFolder _folder = null!;
    private SequenceDataset _data = null!;
    private byte[] _genuine = null!;

    private static TrainingOptions Options => new()
    {
        Cell = CellKind.Gru, Steps = 6, BatchSize = 16, HiddenSize = 8, Device = DeviceChoice.Cpu, Threads = 1, ValidateEvery = 2,
        RestoreBestWeights = true, EmaDecay = 0.9, StallWindow = 4, CheckpointEvery = 0,
    };

    // A user's callback that keeps a count, so the file has a callback section of its own.
    private sealed class Counter : TrainingCallback
    {
        public int Count { get; private set; }
        public override void OnStepEnd(TrainingContext context) => Count++;
        public override void SaveState(StateSection state) => state.SaveValue("count", Count);
        public override void LoadState(StateSection state) => Count = state.LoadValue<int>("count");
    }

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _folder = new TempFolder();
        _data = LearnableTasks.Brightness(seed: 3);
        var trainer = new Trainer(Options) { Callbacks = [new CheckpointStore(_folder.File("genuine")), new Counter()] };
        using var model = trainer.CreateModel(_data);
        _genuine = File.ReadAllBytes(trainer.Train(model, _data, validation: _data).LastCheckpoint!);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        _data.Dispose();
        _folder.Dispose();
    }

    private string Write(byte[] crafted)
    {
        string path = _folder.File($"crafted-{Guid.NewGuid():N}.ckpt");
        File.WriteAllBytes(path, crafted);
        return path;
    }

    private void AssertRefused(byte[] crafted, string problem)
    {
        string path = Write(crafted);
        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path))!;
        Assert.That(error.Message, Does.StartWith(path).And.Contain(problem).And.Not.Contain("\n"));
        // The runner says the same, as a bad checkpoint (exit 6), not as a diverged run.
        var eval = RunnerInProcess.Run("eval", "--checkpoint", path, "--data", IdxWriter.Folder(_folder.File($"data-{Guid.NewGuid():N}"), 40, 20, side: 4));
        Assert.That(eval.ExitCode, Is.EqualTo(6), eval.Error);
        Assert.That(eval.Error, Does.Contain(problem).And.Not.Contain("diverged"));
    }

    private static void FirstFloat(Span<byte> bytes, float value) => MemoryMarshal.Cast<byte, float>(bytes)[0] = value;

    [Test]
    public void The_genuine_checkpoint_reads_and_resumes()
    {
        var checkpoint = CheckpointFile.Read(Write(_genuine));
        Assert.That(checkpoint.SectionNames, Is.SupersetOf(new[] { "model", "adam", "ema", "validation", "callback.StallWarning", "callback.Counter" }));
    }

    [Test]
    public void A_weight_average_and_its_setting_must_come_together()
    {
        AssertRefused(CheckpointSeal.WithHeader(_genuine, h => h["run"]!["ema_decay"] = null), "has an ema section but its run kept no weight average");
        // Without its section: the header no longer lists the average's tensors, whose bytes stay as unread padding would not; so
        // the section's values are dropped and the tensors moved under another owner's name is what a crafted file would need.
        byte[] withoutAverage = CheckpointSeal.WithHeader(_genuine, h =>
        {
            h["sections"]!.AsObject().Remove("ema");
            foreach (var tensor in h["tensors"]!.AsArray().Where(t => t!["name"]!.GetValue<string>().StartsWith("ema/", StringComparison.Ordinal)))
                tensor!["name"] = "callback.Counter/" + tensor["name"]!.GetValue<string>()["ema/".Length..].Replace("/", "_");
        });
        AssertRefused(withoutAverage, "kept a weight average (ema_decay 0.9) but it has no ema section");
    }

    [TestCase("model/", TestName = "A non-finite model weight is a corrupt checkpoint")]
    [TestCase("ema/", TestName = "A non-finite averaged weight is a corrupt checkpoint")]
    [TestCase("validation/best/", TestName = "A non-finite best weight is a corrupt checkpoint")]
    public void Non_finite_weights_are_refused(string prefix)
    {
        string tensor = CheckpointSeal.TensorNames(_genuine).First(n => n.StartsWith(prefix, StringComparison.Ordinal));
        foreach (float value in new[] { float.NaN, float.PositiveInfinity })
            AssertRefused(CheckpointSeal.WithTensorBytes(_genuine, tensor, b => FirstFloat(b, value)), "holds numbers that are not finite");
    }

    [Test]
    public void A_negative_second_moment_of_adam_is_refused()
    {
        AssertRefused(CheckpointSeal.WithTensorBytes(_genuine, "adam/v/0", b => FirstFloat(b, -1e-3f)), "optimizer state v/0 holds negative or NaN numbers");
        AssertRefused(CheckpointSeal.WithTensorBytes(_genuine, "adam/m/1", b => FirstFloat(b, float.NaN)), "optimizer state m/1 holds NaN numbers");
    }

    [Test]
    public void A_stall_window_its_run_could_not_have_kept_or_sums_that_cannot_be_are_refused()
    {
        AssertRefused(CheckpointSeal.WithHeader(_genuine, h => h["run"]!["stall_window"] = 2), "a window of 4 steps saved after step 6 by a run watching 2");
        AssertRefused(CheckpointSeal.WithTensorBytes(_genuine, "callback.StallWarning/sums", b => MemoryMarshal.Cast<byte, double>(b)[0] = double.NaN),
            "sums that are not finite numbers");
    }

    [Test]
    public void A_callback_section_no_callback_of_the_resumed_run_claims_is_dropped_with_a_warning_naming_it()
    {
        var checkpoint = CheckpointFile.Read(Write(_genuine));
        var log = new ListLogger<Trainer>();
        var trainer = new Trainer(Options with { Steps = 7 }, log);
        using var model = trainer.CreateModel(_data);

        var result = trainer.Train(model, _data, validation: _data, resume: checkpoint);

        Assert.That(result.LastStepNumber, Is.EqualTo(7));
        Assert.That(log.Messages, Does.Contain($"{checkpoint.Path} holds the state of a callback this run does not have (callback.Counter); the resumed run goes on without it."));
        // A section that is nobody's, not even a callback's, stays refused: a newer layout or a crafted file.
        AssertRefused(CheckpointSeal.WithHeader(_genuine, h => h["sections"]!["mystery"] = new JsonObject { ["x"] = 1 }), "unknown section mystery");
    }
}
