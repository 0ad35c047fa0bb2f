using System.Text.Json;
using MnistRnn.Performance;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>
/// The README's first command as a newcomer runs it, <c>dotnet run</c> building and then training: the load the build leaves
/// behind and the runner's own start-up must not be taken for other work, so a quiet machine trains on all its physical cores.
/// </summary>
[Category("Package")]
[NonParallelizable]
public sealed class FirstCommandTests
{
    [Test]
    public void Dotnet_run_on_a_quiet_machine_trains_on_every_physical_core()
    {
        if (SystemLoad.Measure() is { } before && before.Busy >= 1 - TorchThreads.TakenCpuShare)
            Assert.Inconclusive($"the machine is busy before the run ({before.Busy:F2} CPUs), so it is not the quiet machine this is about");
        using var folder = new TempFolder();
        string summary = folder.File("summary.json");

        var run = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(10), "run", "-c", "Release", "--project", "samples/MnistRnn.Runner", "--",
            "train", "--model", "lstm", "--steps", "1", "--out", folder.File("run"), "--summary", summary);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(summary));
        Assert.That(json.RootElement.GetProperty("threads_chosen_by").GetString(), Is.EqualTo("load"));
        Assert.That(json.RootElement.GetProperty("threads").GetInt32(), Is.EqualTo(TorchThreads.PhysicalCores()), run.Output);
        Assert.That(run.Output, Does.Not.Contain("threads 1, because"));
    }
}
