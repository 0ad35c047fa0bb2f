using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Runner;

/// <summary><c>--device</c> means the same on every command that runs a model, and is checked before anything else is read.</summary>
[Category("RunnerInProcess")]
public sealed class DeviceOptionTests
{
    private static readonly object[] Commands =
    [
        new object[] { new[] { "eval", "--checkpoint", "no-such-checkpoint" } },
        new object[] { new[] { "predict", "--checkpoint", "no-such-checkpoint", "idx:0" } },
        new object[] { new[] { "bench", "--samples", "1000", "--repeats", "1" } },
    ];

    [TestCaseSource(nameof(Commands))]
    public void Asking_for_cuda_without_it_exits_with_4(string[] command)
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Ignore("this machine has CUDA");

        UserErrorAssert.OneSentence(RunnerInProcess.Run([.. command, "--device", "cuda"]), 4, "--device: CUDA is not available");
    }

    [TestCaseSource(nameof(Commands))]
    public void An_unknown_device_is_a_usage_error(string[] command)
    {
        UserErrorAssert.OneSentence(RunnerInProcess.Run([.. command, "--device", "tpu"]), 2, "--device: unknown device 'tpu'; use auto, cpu or cuda.");
    }

    [TestCase("train")]
    [TestCase("bench")]
    public void An_unknown_step_mode_is_a_usage_error(string command)
    {
        UserErrorAssert.OneSentence(RunnerInProcess.Run(command, "--step-mode", "fast"), 2, "--step-mode: unknown mode 'fast'; use auto, sync or resident.");
    }
}
