using System.CommandLine;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner.Options;

/// <summary>
/// <c>--device auto|cpu|cuda</c> and <c>--step-mode auto|sync|resident</c>, with one meaning on every command that
/// runs a model.
/// </summary>
internal static class DeviceOption
{
    public static Option<DeviceChoice> Create() => ChoiceOption.Create("--device", "device",
        "auto (CUDA when this build and the machine have it), cpu or cuda.", ChoiceOption.Devices, DeviceChoice.Auto);

    public static Option<StepExecution> CreateStepMode() => ChoiceOption.Create("--step-mode", "mode",
        "How training steps are driven: auto (resident on a GPU, sync on the CPU); sync reads the loss back after every step; " +
        "resident keeps parameters, clipping, Adam and the skip of non-finite steps on the device and reads metrics back in batches.",
        ChoiceOption.StepModes, StepExecution.Auto);

    /// <exception cref="DeviceUnavailableException">CUDA was asked for and is not available.</exception>
    public static Device Resolve(ParseResult parse, Option<DeviceChoice> option) => DeviceSelection.Resolve(parse.GetValue(option));
}
