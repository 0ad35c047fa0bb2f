using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Build;

/// <summary>
/// The -p:TorchBackend switch, checked by MSBuild evaluation alone: the CUDA packages are not
/// restored here, so this proves which package a CUDA build would reference, not that it runs.
/// </summary>
[Category("Package")]
public sealed class TorchBackendTests
{
    private static (int ExitCode, string Output) EvaluatePackages(string backend, params string[] properties)
    {
        var result = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(2),
            ["msbuild", "samples/MnistRnn.Runner/MnistRnn.Runner.csproj", "-getItem:PackageReference", $"-p:TorchBackend={backend}", .. properties]);
        return (result.ExitCode, result.Output + result.Error);
    }

    private static string ThisPlatform => System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;

    [Test]
    public void The_cpu_backend_is_the_default_and_fetches_libtorch_for_this_platform_alone()
    {
        var (exitCode, output) = EvaluatePackages("cpu");

        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"\"libtorch-cpu-{ThisPlatform}\"").And.Contain("\"TorchSharp\""));
        Assert.That(output, Does.Not.Contain("\"TorchSharp-cpu\"").And.Not.Contain("cuda"));
        Assert.That(new[] { "linux-x64", "win-x64", "win-arm64", "osx-arm64" }.Where(p => p != ThisPlatform).Where(p => output.Contains($"libtorch-cpu-{p}")), Is.Empty);
    }

    [TestCase("win-x64")]
    [TestCase("osx-arm64")]
    public void A_runtime_identifier_picks_that_platforms_libtorch(string platform)
    {
        var (exitCode, output) = EvaluatePackages("cpu", $"-p:RuntimeIdentifier={platform}");

        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"\"libtorch-cpu-{platform}\""));
    }

    [Test]
    public void A_platform_libtorch_has_no_cpu_build_for_is_named_with_those_it_has()
    {
        var result = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(2),
            "msbuild", "samples/MnistRnn.Runner/MnistRnn.Runner.csproj", "-t:CheckTorchBackend", "-p:RuntimeIdentifier=linux-arm64", "-nologo");

        Assert.That(result.ExitCode, Is.Not.EqualTo(0));
        Assert.That(result.Output, Does.Contain("libtorch has no CPU build for linux-arm64; it has one for linux-x64, win-x64, win-arm64, osx-arm64."));
    }

    [Test]
    public void The_cuda_switch_references_the_cuda_package_for_this_os()
    {
        string expected = OperatingSystem.IsWindows() ? "TorchSharp-cuda-windows" : "TorchSharp-cuda-linux";

        var (exitCode, output) = EvaluatePackages("cuda");

        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"\"{expected}\"").And.Not.Contain("libtorch-cpu"));
    }
}
