using System.Text.Json;
using MnistRnn.Studies;
using MnistRnn.Tests.Support;
using MnistRnn.Training;

namespace MnistRnn.Tests.Regression;

/// <summary>
/// The experiment this project reproduces, on the vendored MNIST: the runner trains in a child process as a
/// user runs it, with its default allocator (5000 steps of batch 100, Adam at 0.01, hidden 128 unless a test says
/// otherwise), each run on one CPU thread and as many runs at a time as the machine has cores: on two cores, two
/// one-thread runs side by side train 1.65 times as fast as the same runs one after the other on two threads each. A training result is a distribution, not a number: another CPU or thread count rounds
/// differently, and after thousands of steps that is as good as another seed. So every threshold below stands
/// on the distribution a <c>mnist-rnn sweep</c> measured on the reference machine (seeds 1 to 5 at 1 and 2
/// threads; the allocator, checked on seed 1, changed no result; the README's "Results" table), placed beyond
/// the whole seed-to-seed range, and an outcome that scatters widely is asserted on the median of three seeds.
/// Each test runs in float32 and in bf16-mixed at the same thresholds: a second sweep measured every row in bf16-mixed
/// (the README's "float32 against bf16-mixed"), and every bf16-mixed run there clears them. The bf16-mixed cases run
/// only where the CPU has bfloat16 instructions: elsewhere libtorch emulates bfloat16 8.5 to 17 times slower than
/// float32 (most of an hour for one LSTM run on an AVX2-only EPYC), so they are inconclusive there, with the reason.
/// The tests run side by side with the other fixtures that only wait on processes (Parallelism.cs), the longest first
/// (<see cref="OrderAttribute"/>): the LSTM's run is the suite's critical path, and started last it ran alone on one core.
/// </summary>
[Category("Regression")]
[Parallelizable(ParallelScope.All)]
public sealed class MnistRegressionTests
{
    private static (double Accuracy, int Threads) Train(params string[] flags)
    {
        using var folder = new TempFolder();
        string summaryPath = folder.File("summary.json");
        // Ten times the quiet machine's time: a full GRU run takes about two minutes on one busy core.
        var result = RunnerProcess.RunFor(TimeSpan.FromMinutes(20), AppContext.BaseDirectory,
            ["--threads", "1", "train", .. flags, "--out", folder.File("run"), "--summary", summaryPath]);
        Assert.That(result.ExitCode, Is.EqualTo(0), $"train {string.Join(' ', flags)}: {result.Error}");
        using var summary = JsonDocument.Parse(File.ReadAllText(summaryPath));
        var root = summary.RootElement;
        double accuracy = root.GetProperty("test_accuracy").GetDouble();
        int threads = root.GetProperty("threads").GetInt32();
        TestContext.Out.WriteLine($"train {string.Join(' ', flags)}: test accuracy {accuracy:F4}, test loss {root.GetProperty("test_loss").GetDouble():F5}, " +
            $"{root.GetProperty("train_seconds").GetDouble():F1} s on {threads} threads");
        return (accuracy, threads);
    }

    private static double TestAccuracy(params string[] flags) => Train(flags).Accuracy;

    // Emulated bfloat16 would test the same numbers at many times the cost; float32 still runs everywhere.
    private static void RequireNativeBFloat16(string precision)
    {
        if (precision != "bf16-mixed") return;
        var cpu = BFloat16Hardware.OfThisCpu();
        if (cpu.HasIt != true)
            Assert.Inconclusive($"bf16-mixed regressions run only on a CPU with bfloat16 instructions: {cpu.Description}.");
    }

    // Independent runs, as many at a time as the machine has cores.
    private static void SideBySide(params Action[] runs) =>
        Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, runs);

    // The library's distribution of the runner's results: each run in its own process, on one thread.
    private static ScoreDistribution OverSeeds1To3(params string[] flags)
    {
        var runs = new long[] { 1, 2, 3 }.Select(seed => (Seed: seed, Run: (Accuracy: 0.0, Threads: 0))).ToArray();
        SideBySide([.. Enumerable.Range(0, runs.Length).Select(i => (Action)(() => runs[i].Run = Train([.. flags, "--seed", runs[i].Seed.ToString()])))]);
        var distribution = new ScoreDistribution([.. runs.Select(r => new SeedScore(r.Seed, r.Run.Accuracy))], runs[0].Run.Threads, SeedStudy.ThisMachine);
        TestContext.Out.WriteLine($"train {string.Join(' ', flags)}: {distribution}");
        return distribution;
    }

    [TestCase("32")]
    [TestCase("bf16-mixed")]
    [Order(1)]
    public void The_lstm_learns_where_the_tanh_rnn_fails(string precision)
    {
        RequireNativeBFloat16(precision);
        // The experiment's story, with a learner in the same harness so that a trainer that learns nothing
        // cannot pass. Measured (README, "Results"): the LSTM 0.9804 to 0.9847 over seeds 1 to 5 at 1 and 2
        // threads. The unclipped tanh RNN is chaotic: 0.0980 to 0.4578 over the same ten runs, near chance in
        // six (seed 1 in both, 0.0980), half-learned in four; so its median of seeds 1 to 3 is asserted
        // (0.1135 at 2 threads, 0.3075 at 1), below the worst single run ever seen rather than below 0.2. In bf16-mixed,
        // the same at 1 and 2 threads: the LSTM 0.9777 to 0.9852, the tanh RNN 0.0980 to 0.4238 (median of seeds 1 to 3, 0.1135).
        // In float32 the LSTM is train's default run, which the ONNX regression exports too: trained once for both.
        double lstm = 0, rnn = 0;
        SideBySide(() => lstm = precision == "32" ? ExperimentLstm.TestAccuracy : TestAccuracy("--model", "lstm", "--precision", precision),
            () => rnn = OverSeeds1To3("--model", "rnn", "--clip-norm", "0", "--precision", precision).Median);

        Assert.Multiple(() =>
        {
            Assert.That(lstm, Is.GreaterThanOrEqualTo(0.975), "LSTM");
            Assert.That(rnn, Is.LessThan(0.5), "median of the unclipped tanh RNN");
        });
    }

    [TestCase("32")]
    [TestCase("bf16-mixed")]
    [Order(2)]
    public void Gru_reaches_the_lstms_accuracy_at_half_the_learning_rate(string precision)
    {
        RequireNativeBFloat16(precision);
        // At the experiment's lr 0.01 the GRU's gradients explode mid-run and its accuracy scatters (0.65 to
        // 0.96 over seeds and clipping settings), so the test trains at lr 0.005: measured 0.9818 to 0.9869; bf16-mixed 0.9825 to 0.9851.
        double gru = TestAccuracy("--model", "gru", "--lr", "0.005", "--precision", precision);

        Assert.That(gru, Is.GreaterThanOrEqualTo(0.975));
    }

    [TestCase("32")]
    [TestCase("bf16-mixed")]
    [Order(4)]
    public void A_lower_learning_rate_rescues_the_tanh_rnn_and_the_irnn_does_better_still(string precision)
    {
        RequireNativeBFloat16(precision);
        // The fix for the tanh RNN that holds on every seed: a tenth of the learning rate (default clipping), where
        // it no longer saturates: measured 0.9579 to 0.9634 over seeds 1 to 5 at 1 and 2 threads. (Clipping at
        // norm 1.0 at lr 0.01 does not hold: 0.1135 to 0.4498.) The IRNN at the same settings: 0.9716 to 0.9788,
        // so every IRNN run beat every tanh RNN run. bf16-mixed: 0.9582 to 0.9653 and 0.9720 to 0.9798, the same order.
        double rnn = 0, irnn = 0;
        SideBySide(() => rnn = TestAccuracy("--model", "rnn", "--lr", "0.001", "--precision", precision),
            () => irnn = TestAccuracy("--model", "irnn", "--lr", "0.001", "--precision", precision));

        Assert.Multiple(() =>
        {
            Assert.That(rnn, Is.GreaterThan(0.95), "tanh RNN");
            Assert.That(irnn, Is.GreaterThanOrEqualTo(0.965), "IRNN");
            Assert.That(irnn, Is.GreaterThan(rnn), "IRNN against tanh RNN");
        });
    }

    [TestCase("32")]
    [TestCase("bf16-mixed")]
    [Order(3)]
    public void The_fast_recipe_reaches_the_experiments_accuracy(string precision)
    {
        RequireNativeBFloat16(precision);
        // Measured 0.9841 to 0.9866, bf16-mixed 0.9848 to 0.9856 (the time is the benchmark's to report, not a test's). The
        // recipe itself asks for --precision auto, which picks one of the two by this machine; each is tested here.
        double fast = TestAccuracy("--recipe", "fast", "--precision", precision);

        Assert.That(fast, Is.GreaterThanOrEqualTo(0.98));
    }
}
