using MnistRnn.Checkpoints;
using MnistRnn.Models;
using MnistRnn.Performance;
using MnistRnn.Studies;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>
/// The trainer's thread count when <see cref="TrainingOptions.Threads"/> is not given: what the load leaves, decided once
/// when training starts, recorded, kept on resume, and never over a count the user set; the caller's count is back after.
/// </summary>
[Category("Unit")]
[NonParallelizable]
public sealed class TrainerThreadsTests
{
    private int _before;

    [SetUp]
    public void RememberCount() => _before = get_num_threads();

    [TearDown]
    public void RestoreCount() => set_num_threads(_before);

    private static TrainingOptions Options(int? threads = null) => new()
    {
        Cell = CellKind.Lstm, Steps = 20, BatchSize = 32, HiddenSize = 16, Device = DeviceChoice.Cpu, CheckpointEvery = 10, StallWindow = 0, Threads = threads,
    };

    // The trainer, with the thread count of the training thread at every step.
    private static (Trainer Trainer, List<int> CountsSeen) Observed(TrainingOptions options, params TrainingCallback[] more)
    {
        var seen = new List<int>();
        var trainer = new Trainer(options) { Callbacks = [new TrainingObserver { StepCompleted = _ => seen.Add(get_num_threads()) }, .. more] };
        return (trainer, seen);
    }

    [Test]
    public void A_given_count_is_used_for_every_step_and_the_callers_count_is_back_afterwards()
    {
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        set_num_threads(TorchThreads.PhysicalCores());
        var (trainer, seen) = Observed(Options(threads: 1));
        using var model = trainer.CreateModel(train);

        var result = trainer.Train(model, train);

        Assert.That(result.ThreadChoice, Is.EqualTo(new ThreadChoice(1, ThreadSource.Given, "given in TrainingOptions.Threads")));
        Assert.That(seen.Distinct(), Is.EqualTo(new[] { 1 }));
        Assert.That(get_num_threads(), Is.EqualTo(TorchThreads.PhysicalCores()));
    }

    [Test]
    public void Unset_the_trainer_decides_from_the_load_once_and_the_checkpoints_record_it()
    {
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        using var folder = new TempFolder();
        var (trainer, seen) = Observed(Options(), new CheckpointStore(folder.Path));
        using var model = trainer.CreateModel(train);

        var result = trainer.Train(model, train);

        Assert.That(result.ThreadChoice.Source, Is.EqualTo(ThreadSource.Load));
        Assert.That(result.ThreadChoice.Threads, Is.InRange(1, TorchThreads.PhysicalCores()));
        Assert.That(seen.Distinct(), Is.EqualTo(new[] { result.ThreadChoice.Threads }));
        Assert.That(CheckpointStore.List(folder.Path).Select(path => CheckpointFile.Read(path).Info.Threads), Is.All.EqualTo(result.ThreadChoice.Threads));
    }

    [Test]
    public void Beside_a_busy_loop_on_every_core_the_trainer_computes_on_one_thread_and_says_why()
    {
        Assume.That(SystemLoad.Measure() is { } load && load.Cpus == Environment.ProcessorCount && TorchThreads.PhysicalCores() > 1,
            "needs Linux load figures for exactly the CPUs .NET counts, and more than one core to take away");
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        var logger = new ListLogger<Trainer>();
        var trainer = new Trainer(Options(), logger);
        using var model = trainer.CreateModel(train);
        TrainingResult result;

        using (new BusyLoops(Environment.ProcessorCount)) result = trainer.Train(model, train);

        Assert.That(result.ThreadChoice.Threads, Is.EqualTo(1));
        Assert.That(logger.Messages, Has.One.Match(@"^threads 1, because other work kept \d+\.\d\d of the \d+ CPUs this process may run on busy over 100 ms, and did in every reading over 1\.0 s, which leaves 1 of the \d+ physical cores"));
    }

    [Test]
    public void A_count_set_by_hand_before_training_is_kept()
    {
        Assume.That(TorchThreads.PhysicalCores(), Is.GreaterThan(1), "on one core, 1 is also the machine's own count");
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        set_num_threads(1);
        var (trainer, seen) = Observed(Options());
        using var model = trainer.CreateModel(train);

        var result = trainer.Train(model, train);

        Assert.That((result.ThreadChoice.Threads, result.ThreadChoice.Source), Is.EqualTo((1, ThreadSource.SetBefore)));
        Assert.That(result.ThreadChoice.Reason, Does.Contain("torch.set_num_threads(1)"));
        Assert.That(seen.Distinct(), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void OMP_NUM_THREADS_is_a_count_set_by_hand()
    {
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        set_num_threads(TorchThreads.PhysicalCores());
        Environment.SetEnvironmentVariable("OMP_NUM_THREADS", TorchThreads.PhysicalCores().ToString());
        try
        {
            var trainer = new Trainer(Options());
            using var model = trainer.CreateModel(train);

            var result = trainer.Train(model, train);

            Assert.That((result.ThreadChoice.Threads, result.ThreadChoice.Source), Is.EqualTo((TorchThreads.PhysicalCores(), ThreadSource.SetBefore)));
            Assert.That(result.ThreadChoice.Reason, Does.Contain("OMP_NUM_THREADS"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", null);
        }
    }

    [Test]
    public void A_seed_study_keeps_its_count_even_when_it_is_the_machines_own()
    {
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        int cores = TorchThreads.PhysicalCores();
        var choices = new List<ThreadChoice>();

        var scores = SeedStudy.Run(seed =>
        {
            var trainer = new Trainer(Options() with { Seed = seed });
            using var model = trainer.CreateModel(train);
            choices.Add(trainer.Train(model, train).ThreadChoice);
            return 0.5;
        }, seeds: [1, 2], threads: cores);

        Assert.That(choices.Select(c => (c.Threads, c.Source)), Is.All.EqualTo((cores, ThreadSource.SetBefore)));
        Assert.That(choices[0].Reason, Does.Contain("SeedStudy"));
        Assert.That(scores.Threads, Is.EqualTo(cores));
    }

    [Test]
    public void A_resumed_run_computes_with_its_checkpoints_count_and_ends_as_the_uninterrupted_run()
    {
        using var train = LearnableTasks.BrightestRow(64, seed: 1);
        using var folder = new TempFolder();
        var whole = new Trainer(Options(threads: 1));
        using var uninterrupted = whole.CreateModel(train);
        whole.Train(uninterrupted, train);
        using (var cut = whole.CreateModel(train))
            new Trainer(Options(threads: 1) with { Steps = 10 }) { Callbacks = [new CheckpointStore(folder.Path)] }.Train(cut, train);
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(folder.Path)[0]);
        set_num_threads(TorchThreads.PhysicalCores());
        var (trainer, seen) = Observed(Options());
        using var resumed = trainer.CreateModel(train);

        var result = trainer.Train(resumed, train, resume: checkpoint);

        Assert.That((result.ThreadChoice.Threads, result.ThreadChoice.Source), Is.EqualTo((1, ThreadSource.Checkpoint)));
        Assert.That(seen.Distinct(), Is.EqualTo(new[] { 1 }));
        Assert.That(Weights(resumed), Is.EqualTo(Weights(uninterrupted)));
    }

    [Test]
    public void More_threads_than_logical_cores_are_refused_naming_the_option()
    {
        var options = Options(threads: Environment.ProcessorCount + 1);

        Assert.That(() => new Trainer(options), Throws.ArgumentException.With.Message.StartsWith("Threads must be 1 to the"));
    }

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
}
