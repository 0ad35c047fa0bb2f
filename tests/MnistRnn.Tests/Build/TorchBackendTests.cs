using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Build;

/// <summary>
/// The -p:TorchBackend switch, checked by MSBuild evaluation alone: the CUDA packages are not
/// restored here, so this proves which package a CUDA build would reference, not that it runs.
/// </summary>
public sealed class TorchBackendTests
{
    private static (int ExitCode, string Output) EvaluatePackages(string backend)
    {
        var result = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(2),
            "msbuild", "samples/MnistRnn.Runner/MnistRnn.Runner.csproj", "-getItem:PackageReference", $"-p:TorchBackend={backend}");
        return (result.ExitCode, result.Output + result.Error);
    }

    [Test]
    public void The_cpu_backend_is_the_default() =>
        Assert.That(EvaluatePackages("cpu").Output, Does.Contain("\"TorchSharp-cpu\"").And.Not.Contain("cuda"));

    [Test]
    public void The_cuda_switch_references_the_cuda_package_for_this_os()
    {
        string expected = OperatingSystem.IsWindows() ? "TorchSharp-cuda-windows" : "TorchSharp-cuda-linux";

        var (exitCode, output) = EvaluatePackages("cuda");

        Assert.That(exitCode, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"\"{expected}\"").And.Not.Contain("\"TorchSharp-cpu\""));
    }
}
