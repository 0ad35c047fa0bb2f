using System.CommandLine;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Runner;

/// <summary>
/// <c>--device auto|cpu|cuda</c> and <c>--step-mode auto|sync|resident</c>, with one meaning on every command that
/// runs a model.
/// </summary>
internal static class DeviceOption
{
    public static Option<string> Create() => new("--device")
    {
        Description = "auto (CUDA when this build and the machine have it), cpu or cuda.",
        HelpName = "auto|cpu|cuda",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<string> CreateStepMode() => new("--step-mode")
    {
        Description = "How training steps are driven: auto (resident on a GPU, sync on the CPU); sync reads the loss back after every step; " +
            "resident keeps parameters, clipping, Adam and the skip of non-finite steps on the device and reads metrics back in batches.",
        HelpName = "auto|sync|resident",
        DefaultValueFactory = _ => "auto",
    };

    /// <exception cref="UserErrorException">The value is not a device.</exception>
    public static DeviceChoice Parse(ParseResult parse, Option<string> option)
    {
        string name = parse.GetValue(option)!;
        return name.ToLowerInvariant() switch
        {
            "auto" => DeviceChoice.Auto,
            "cpu" => DeviceChoice.Cpu,
            "cuda" => DeviceChoice.Cuda,
            _ => throw new UserErrorException(ExitCodes.InvalidArguments, $"--device: unknown device '{name}'; use auto, cpu or cuda."),
        };
    }

    /// <exception cref="UserErrorException">The value is not a device.</exception>
    /// <exception cref="DeviceUnavailableException">CUDA was asked for and is not available.</exception>
    public static Device Resolve(ParseResult parse, Option<string> option) => DeviceSelection.Resolve(Parse(parse, option));

    /// <summary>The --step-mode value that names <paramref name="mode"/>.</summary>
    public static string StepModeName(StepExecution mode) => mode switch
    {
        StepExecution.Synchronous => "sync",
        StepExecution.DeviceResident => "resident",
        _ => "auto",
    };

    /// <exception cref="UserErrorException">The value is not a step mode.</exception>
    public static StepExecution ParseStepMode(ParseResult parse, Option<string> option) => parse.GetValue(option) switch
    {
        "auto" => StepExecution.Auto,
        "sync" => StepExecution.Synchronous,
        "resident" => StepExecution.DeviceResident,
        var other => throw new UserErrorException(ExitCodes.InvalidArguments, $"--step-mode: unknown mode '{other}'; use auto, sync or resident."),
    };
}
