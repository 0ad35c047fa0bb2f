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
    // The commands that run a model take train's flags for these two settings, as their declarations say.
    public static Option<DeviceChoice> Create() => (Option<DeviceChoice>)FlagOf(nameof(TrainingOptions.Device));

    public static Option<StepExecution> CreateStepMode() => (Option<StepExecution>)FlagOf(nameof(TrainingOptions.StepExecution));

    private static Option FlagOf(string property) => SettingFlag.For(TrainingSetting.Of(property)!).Single().Option;

    /// <exception cref="DeviceUnavailableException">CUDA was asked for and is not available.</exception>
    public static Device Resolve(ParseResult parse, Option<DeviceChoice> option) => DeviceSelection.Resolve(parse.GetValue(option));
}
