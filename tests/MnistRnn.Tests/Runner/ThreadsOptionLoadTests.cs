using MnistRnn.Performance;
using MnistRnn.Runner;
using MnistRnn.Runner.Options;
using MnistRnn.Runner.Output;
using MnistRnn.Tests.Support;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Runner;

/// <summary>
/// Without <c>--threads</c>, a command that does not train reads the machine's load at start-up, as the runner's guide
/// says, and a command that trains leaves the count to its trainer.
/// </summary>
[Category("RunnerInProcess")]
[NonParallelizable]
public sealed class ThreadsOptionLoadTests
{
    private int _before;

    [SetUp]
    public void RememberCount() => _before = get_num_threads();

    [TearDown]
    public void RestoreCount() => set_num_threads(_before);

    private static System.CommandLine.ParseResult Parse(params string[] args) =>
        RunnerApp.CreateRoot(new RunnerConsole(TextWriter.Null, TextWriter.Null)).Parse(args);

    [Test]
    public void Eval_beside_a_busy_loop_on_every_core_computes_on_one_thread()
    {
        Assume.That(SystemLoad.Measure() is { } load && load.Cpus == Environment.ProcessorCount && TorchThreads.PhysicalCores() > 1,
            "needs Linux load figures for exactly the CPUs .NET counts, and more than one core to take away");
        set_num_threads(TorchThreads.PhysicalCores());

        using (new BusyLoops(Environment.ProcessorCount)) ThreadsOption.Apply(Parse("eval", "--checkpoint", "some.ckpt"));

        Assert.That(get_num_threads(), Is.EqualTo(1));
        Assert.That(ThreadsOption.Given, Is.Null);
    }

    [Test]
    public void Train_without_threads_leaves_the_count_to_its_trainer()
    {
        set_num_threads(TorchThreads.PhysicalCores());

        using (new BusyLoops(Environment.ProcessorCount)) ThreadsOption.Apply(Parse("train", "--steps", "1"));

        Assert.That(get_num_threads(), Is.EqualTo(TorchThreads.PhysicalCores()));
        Assert.That(ThreadsOption.Given, Is.Null);
    }

    [Test]
    public void Threads_given_is_set_for_every_command_and_passed_to_the_trainer()
    {
        ThreadsOption.Apply(Parse("--threads", "1", "train", "--steps", "1"));

        Assert.That((get_num_threads(), ThreadsOption.Given), Is.EqualTo((1, (int?)1)));
    }
}
