using System.CommandLine;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Training;

namespace MnistRnn.Runner.Options;

/// <summary>Finds and loads the dataset: the folder given with <c>--data</c>, or the MNIST copy vendored with this repository.</summary>
internal static class DataFolder
{
    public const string Vendored = "data/mnist";

    /// <summary>A new <c>--data</c> option; <paramref name="what"/> says what the command reads from the folder.</summary>
    public static Option<string?> CreateOption(string what = "the four MNIST-format IDX files, raw or .gz") =>
        new("--data") { HelpName = "DIR", Description = $"Folder with {what} [default: the repository's {Vendored}]." };

    /// <summary>
    /// The vendored folder: the first <c>data/mnist</c> found walking up from the current directory,
    /// then from the program's own folder (so `dotnet run` works from anywhere inside the clone).
    /// </summary>
    public static string? FindVendored()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, Vendored);
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>The folder <c>--data</c> names, or the vendored one.</summary>
    /// <exception cref="UserErrorException">Neither exists.</exception>
    public static string Resolve(string? given)
    {
        if (given is not null)
        {
            if (!Directory.Exists(given))
                throw new UserErrorException(ExitCodes.InvalidArguments,
                    $"--data: folder {given} does not exist; point it at a folder holding the four MNIST-format IDX files.");
            return given;
        }
        return FindVendored() ?? throw new UserErrorException(ExitCodes.InvalidArguments,
            $"No {Vendored} folder was found above the current directory; run from inside the repository or pass --data DIR.");
    }

    /// <summary>
    /// Loads the dataset in <paramref name="folder"/>; a bad file becomes one sentence naming it, and so does
    /// a step of <paramref name="options"/> (its batch times its accumulated batches) larger than its training split.
    /// </summary>
    public static MnistDataset Load(string folder, TorchSharp.torch.Device device, TrainingOptions? options = null)
    {
        MnistDataset dataset;
        try
        {
            dataset = MnistDataset.Load(folder, device);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new UserErrorException(ExitCodes.InvalidData, e.Message);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.InvalidData, $"--data: cannot read {folder} ({e.Message}).");
        }
        if (options?.DataProblem(dataset.Train.Count) is { } tooLarge)
        {
            dataset.Dispose();
            string flag = SettingFlag.For(TrainingSetting.Of(tooLarge.Property)!).First().Name;
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--data {folder}: {flag} {tooLarge.Message}");
        }
        return dataset;
    }
}
