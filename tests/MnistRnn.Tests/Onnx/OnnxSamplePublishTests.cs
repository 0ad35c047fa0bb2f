using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Onnx;

/// <summary>
/// The ONNX sample published as a user without .NET on the target machine would ship it: self-contained and trimmed, for
/// linux-x64; it must stay small and print what the framework-dependent build prints.
/// </summary>
[Category("Package")]
[Category("Onnx")]
[Parallelizable(ParallelScope.Self)]
public sealed class OnnxSamplePublishTests
{
    [Test]
    public void The_sample_publishes_self_contained_under_100_MB_and_prints_what_it_prints_on_net()
    {
        Assume.That(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the publish is measured for linux-x64");
        using var folder = new TempFolder();
        var train = RunnerProcess.Run("--threads", "1", "train", "--steps", "60", "--hidden", "16", "--out", folder.File("run"));
        Assert.That(train.ExitCode, Is.EqualTo(0), train.Error);
        string onnx = folder.File("digits.onnx");
        Assert.That(RunnerProcess.Run("export", "--checkpoint", folder.File("run"), "--out", onnx).ExitCode, Is.EqualTo(0));
        string published = folder.File("published");

        var publish = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(10),
            "publish", "samples/MnistRnn.OnnxInference", "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", published);

        Assert.That(publish.ExitCode, Is.EqualTo(0), publish.Output + publish.Error);
        double megabytes = Directory.GetFiles(published, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1048576.0;
        TestContext.Out.WriteLine($"self-contained, trimmed linux-x64 publish: {megabytes:F0} MB");
        Assert.That(megabytes, Is.LessThan(100));
        string[] inputs = ["idx:0", "idx:7", OnnxSampleTests.Picture(folder.File("one.png"), 120, dark: true)];
        var start = new System.Diagnostics.ProcessStartInfo(Path.Combine(published, "mnist-rnn-onnx"), [onnx, "--data", RepositoryPaths.Mnist, .. inputs])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd(), error = process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(2)), Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(0), error);
        // Trimming removed nothing it uses: the same lines as the framework-dependent build.
        Assert.That(output, Is.EqualTo(OnnxSampleTests.Sample([onnx, "--data", RepositoryPaths.Mnist, .. inputs]).Output));
    }
}
