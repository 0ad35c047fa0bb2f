using System.Diagnostics;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>
/// samples/MnistRnn.RegressionSample, a user's NUnit project, built against the packed MnistRnn and MnistRnn.NUnit packages:
/// its GRU matches the baseline stored beside it, and a model made worse fails with both distributions and a received file.
/// </summary>
[Category("Package")]
[Parallelizable(ParallelScope.Self)]
public sealed class RegressionSampleTests
{
    private static DotnetProcess.Result Dotnet(string workingDirectory, params string[] args) =>
        DotnetProcess.Run(workingDirectory, TimeSpan.FromMinutes(10), args);

    [Test]
    public void The_sample_regression_passes_against_the_packed_packages_and_a_worse_model_fails_with_both_distributions()
    {
        using var folder = new TempFolder();
        string sample = folder.File("sample");
        FolderCopy.Copy(Path.Combine(RepositoryPaths.Root, "samples", "MnistRnn.RegressionSample"), sample);
        var packed = PackedPackages.Get();
        packed.CopyTo(Path.Combine(sample, "packages"));
        string version = packed.Version;
        var build = Dotnet(sample, "build", "-c", "Release", $"-p:MnistRnnVersion={version}");
        Assert.That(build.ExitCode, Is.EqualTo(0), build.Output + build.Error);
        var clock = Stopwatch.StartNew();
        var passing = Dotnet(sample, "test", "--no-build", "-c", "Release", $"-p:MnistRnnVersion={version}");
        TestContext.Out.WriteLine($"the sample's regression over 3 seeds ran in {clock.Elapsed.TotalSeconds:F1} s (dotnet test, built before)");
        Assert.That(passing.ExitCode, Is.EqualTo(0), passing.Output + passing.Error);
        Assert.That(File.Exists(Path.Combine(sample, "gru-waves.received.json")), Is.False);

        // A tenth of the training: the same test now sees a real regression.
        string test = Path.Combine(sample, "GruRegressionTests.cs");
        File.WriteAllText(test, File.ReadAllText(test).Replace("Steps = 200", "Steps = 20"));
        var failing = Dotnet(sample, "test", "-c", "Release", $"-p:MnistRnnVersion={version}");

        Assert.That(failing.ExitCode, Is.Not.EqualTo(0));
        Assert.That(failing.Output, Does.Contain("Regressed: the median is ").And.Contain("baseline (1 thread)  received (1 thread)")
            .And.Contain("seed 3").And.Contain("rename " + Path.Combine(sample, "gru-waves.received.json")));
        Assert.That(File.Exists(Path.Combine(sample, "gru-waves.received.json")), Is.True);
    }
}
