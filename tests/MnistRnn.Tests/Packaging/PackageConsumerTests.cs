using System.Text.RegularExpressions;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>
/// Packs the library, then builds and runs a separate project that references the package from a
/// local folder feed, compiling the README's library example word for word.
/// </summary>
[Category("Package")]
public sealed class PackageConsumerTests
{
    private static DotnetProcess.Result Dotnet(string workingDirectory, params string[] args) =>
        DotnetProcess.Run(workingDirectory, TimeSpan.FromMinutes(10), args);

    private static string ReadmeExample()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var match = Regex.Match(readme, @"<!-- package-example -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline);
        Assert.That(match.Success, Is.True, "README.md has a csharp block after <!-- package-example -->");
        return match.Groups["code"].Value;
    }

    [Test]
    public void A_project_referencing_the_package_trains_with_the_readmes_example()
    {
        using var folder = new TempFolder();
        string feed = Path.Combine(folder.Path, "feed");
        // A version of its own, so the global package cache never serves an older build of the same version.
        string version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var pack = Dotnet(RepositoryPaths.Root, "pack", "src/MnistRnn", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Assert.That(pack.ExitCode, Is.EqualTo(0), pack.Output + pack.Error);

        string consumer = Path.Combine(folder.Path, "consumer");
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <configuration>
              <packageSources><add key="local" value="{feed}" /></packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MnistRnn" Version="{version}" />
                <PackageReference Include="TorchSharp-cpu" Version="{typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3)}" />
                <PackageReference Include="Microsoft.Extensions.Logging.Console" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), ReadmeExample());
        // The example reads data/mnist relative to where it runs; give it the vendored copy there.
        Directory.CreateDirectory(Path.Combine(consumer, "data"));
        CopyFolder(RepositoryPaths.Mnist, Path.Combine(consumer, "data", "mnist"));

        try
        {
            var run = Dotnet(consumer, "run", "-c", "Release", "--", "30");

            Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
            Assert.That(run.Output, Does.Match(@"final loss \d+\.\d{5}, accuracy 0\.\d{5}"));
        }
        finally
        {
            // The throwaway version would otherwise stay in the global package cache for good.
            string cached = Path.Combine(RepositoryPaths.GlobalPackagesFolder, "mnistrnn", version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
