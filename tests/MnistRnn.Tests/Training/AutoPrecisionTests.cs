using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;

namespace MnistRnn.Tests.Training;

/// <summary>
/// <see cref="Precision.Auto"/>: the decision (from the CPU's features and a measurement, tested here with fake ones, since
/// this suite runs on CPUs with and without bfloat16 instructions), and what it leaves the run: the same run as the precision it
/// chose, a reason, and on resume the checkpoint's choice; and a bf16-mixed that was asked for on a CPU that would emulate it.
/// </summary>
[Category("Unit")]
public sealed class AutoPrecisionTests
{
    private static readonly BFloat16Hardware Has = new(true, "a CPU with avx512_bf16");
    private static readonly BFloat16Hardware Lacks = new(false, "a CPU without bfloat16 instructions");
    private static readonly BFloat16Hardware Unknown = BFloat16Hardware.Unknown("a GPU");

    [Test]
    public void A_machine_without_bfloat16_hardware_keeps_float32_without_measuring()
    {
        var choice = PrecisionChoice.Decide(Lacks, () => throw new AssertionException("measured although the hardware decided"));

        Assert.That(choice.Precision, Is.EqualTo(Precision.Float32));
        Assert.That(choice.Reason, Does.Contain("without bfloat16 instructions").And.Contain("emulated"));
    }

    [Test]
    public void A_given_bf16_mixed_on_a_cpu_without_bfloat16_says_it_runs_emulated()
    {
        var emulated = PrecisionChoice.Given(Precision.Bf16Mixed, "given", Lacks);

        Assert.That(emulated.Precision, Is.EqualTo(Precision.Bf16Mixed), "what was asked for is what runs");
        Assert.That(emulated.Emulated, Is.True);
        Assert.That(emulated.Reason, Does.StartWith("given, but a CPU without bfloat16 instructions").And.Contain("emulated").And.Contain("--precision 32"));
    }

    [Test]
    public void A_given_precision_the_hardware_computes_is_not_emulated()
    {
        Assert.That(PrecisionChoice.Given(Precision.Bf16Mixed, "given", Has), Is.EqualTo(new PrecisionChoice(Precision.Bf16Mixed, "given")));
        Assert.That(PrecisionChoice.Given(Precision.Bf16Mixed, "given", Unknown).Emulated, Is.False, "a GPU is not known to emulate");
        Assert.That(PrecisionChoice.Given(Precision.Float32, "given", Lacks), Is.EqualTo(new PrecisionChoice(Precision.Float32, "given")));
    }

    [TestCase(0.010, 0.005, Precision.Bf16Mixed, TestName = "Measured twice as fast: bf16-mixed")]
    [TestCase(0.012, 0.010, Precision.Bf16Mixed, TestName = "Measured 1.2x as fast: bf16-mixed")]
    [TestCase(0.011, 0.010, Precision.Float32, TestName = "Measured 1.1x as fast: float32")]
    [TestCase(0.010, 0.0116, Precision.Float32, TestName = "Measured slower, as the tanh RNN: float32")]
    public void With_the_hardware_the_measurement_decides(double float32, double bf16, Precision expected)
    {
        var choice = PrecisionChoice.Decide(Has, () => (float32, bf16));

        Assert.That(choice.Precision, Is.EqualTo(expected));
        Assert.That(choice.Reason, Does.Contain($"{bf16 * 1e3:F2} ms").And.Contain($"{float32 * 1e3:F2} ms").And.Contain("avx512_bf16"));
    }

    [Test]
    public void Where_the_hardware_is_unknown_the_measurement_decides_alone()
    {
        Assert.That(PrecisionChoice.Decide(Unknown, () => (0.02, 0.01)).Precision, Is.EqualTo(Precision.Bf16Mixed));
        Assert.That(PrecisionChoice.Decide(Unknown, () => (0.01, 0.02)).Precision, Is.EqualTo(Precision.Float32));
    }

    [TestCase("flags\t\t: fpu vme sse2 avx2 avx512f avx512_bf16 avx512_vnni", true, "avx512_bf16", TestName = "Zen 4 and Cooper Lake: avx512_bf16")]
    [TestCase("flags\t\t: fpu avx512f amx_bf16 amx_tile avx512_bf16", true, "avx512_bf16 and amx_bf16", TestName = "Sapphire Rapids: AMX as well")]
    [TestCase("flags\t\t: fpu vme sse2 avx2 avx512f avx512_vnni", false, "neither avx512_bf16 nor amx_bf16", TestName = "Skylake: AVX-512 without bfloat16")]
    [TestCase("Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp bf16 i8mm", true, "bf16", TestName = "Arm with BF16")]
    [TestCase("Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32", false, "no bf16", TestName = "Arm without BF16")]
    public void The_CPU_features_come_from_proc_cpuinfo(string featureLine, bool hasIt, string named)
    {
        var hardware = BFloat16Hardware.FromCpuInfo(["processor\t: 0", "model name\t: some CPU", featureLine, "processor\t: 1", "flags\t\t: fpu"]);

        Assert.That(hardware.HasIt, Is.EqualTo(hasIt));
        Assert.That(hardware.Description, Does.Contain(named));
    }

    [Test]
    public void A_cpuinfo_without_features_is_unknown()
    {
        Assert.That(BFloat16Hardware.FromCpuInfo(["processor\t: 0", "garbage without a colon"]).HasIt, Is.Null);
    }

    private static TrainingOptions Options(Precision precision) => new()
    {
        Cell = CellKind.Lstm, Steps = 40, BatchSize = 32, HiddenSize = 16, Device = DeviceChoice.Cpu, Precision = precision,
        CheckpointEvery = 20, StallWindow = 0,
        // One count for every run compared bit for bit: a load reading may choose another between two of them.
        Threads = 1,
    };

    private static float[] Weights(RecurrentClassifier model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Test]
    public void Auto_trains_exactly_the_run_of_the_precision_it_chose_and_says_why()
    {
        using var train = LearnableTasks.BrightestRow(256, seed: 1);
        var auto = new Trainer(Options(Precision.Auto));
        using var chosenByAuto = auto.CreateModel(train);
        var result = auto.Train(chosenByAuto, train);

        Assert.That(result.PrecisionChoice.Precision, Is.AnyOf(Precision.Float32, Precision.Bf16Mixed));
        Assert.That(result.PrecisionChoice.Reason, Does.Contain("ms").Or.Contain("bfloat16 instructions"));
        var given = new Trainer(Options(result.PrecisionChoice.Precision));
        using var same = given.CreateModel(train);
        var givenResult = given.Train(same, train);
        Assert.That(givenResult.PrecisionChoice, Is.EqualTo(new PrecisionChoice(result.PrecisionChoice.Precision, "given")));
        // The measurement's models and data leave torch's generator and the run's batches alone.
        Assert.That(Weights(chosenByAuto), Is.EqualTo(Weights(same)));
    }

    [TestCase(Precision.Bf16Mixed)]
    [TestCase(Precision.Float32)]
    public void Auto_resumes_in_the_checkpoints_precision(Precision saved)
    {
        using var train = LearnableTasks.BrightestRow(256, seed: 1);
        using var folder = new TempFolder();
        var trainer = new Trainer(Options(saved));
        using var whole = trainer.CreateModel(train);
        trainer.Train(whole, train);
        using (var cut = trainer.CreateModel(train))
            new Trainer(Options(saved) with { Steps = 20 }) { Callbacks = [new CheckpointStore(folder.Path)] }.Train(cut, train);
        var checkpoint = CheckpointFile.Read(CheckpointStore.List(folder.Path)[0]);

        Assert.That(CheckpointResume.Problems(Options(Precision.Auto), checkpoint), Is.Empty);
        var auto = new Trainer(Options(Precision.Auto));
        using var resumed = auto.CreateModel(train);
        var result = auto.Train(resumed, train, resume: checkpoint);

        Assert.That(result.PrecisionChoice.Precision, Is.EqualTo(saved));
        Assert.That(result.PrecisionChoice.Reason, Does.Contain("checkpoint"));
        Assert.That(Weights(resumed), Is.EqualTo(Weights(whole)));
    }
}
