using System.Text.RegularExpressions;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>
/// Packs the library, then builds and runs a separate project that references the package from a
/// local folder feed, compiling the examples of the library's documentation page (docs/library.md) word for word.
/// </summary>
[Category("Package")]
[Parallelizable(ParallelScope.Self)]
public sealed class PackageConsumerTests
{
    private static DotnetProcess.Result Dotnet(string workingDirectory, params string[] args) =>
        DotnetProcess.Run(workingDirectory, TimeSpan.FromMinutes(10), args);

    private static string ReadmeExample(string marker)
    {
        string guide = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "library.md"));
        var match = Regex.Match(guide, $@"<!-- {marker} -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline);
        Assert.That(match.Success, Is.True, $"docs/library.md has a csharp block after <!-- {marker} -->");
        return match.Groups["code"].Value;
    }

    [Test]
    public void A_project_referencing_the_package_trains_with_the_readmes_example()
    {
        var run = BuildAndRun(ReadmeExample("package-example"), withMnist: true, "30");

        Assert.That(run.Output, Does.Match(@"final loss \d+\.\d{5}, accuracy 0\.\d{5}"));
    }

    [Test]
    public void The_packages_readme_is_the_library_guide_with_no_relative_links()
    {
        var packed = PackedPackages.Get();
        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(packed.Feed, $"MnistRnn.{packed.Version}.nupkg"));
        using var reader = new StreamReader(package.GetEntry("README.md")!.Open());
        string readme = reader.ReadToEnd();

        Assert.That(readme, Is.EqualTo(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "library.md"))));
        // On the package gallery a relative link or image leads nowhere.
        Assert.That(Regex.Matches(readme, @"\]\((?!https?://)[^)]*\)").Select(m => m.Value), Is.Empty);
    }

    [Test]
    public void The_packages_release_notes_are_this_versions_section_of_the_changelog()
    {
        using var folder = new TempFolder();
        var pack = Dotnet(RepositoryPaths.Root, "pack", "src/MnistRnn.NUnit", "-c", "Release", "-o", folder.Path);
        Assert.That(pack.ExitCode, Is.EqualTo(0), pack.Output + pack.Error);
        string package = Directory.GetFiles(folder.Path, "MnistRnn.NUnit.*.nupkg").Single(p => !p.EndsWith(".snupkg", StringComparison.Ordinal));
        string version = Path.GetFileNameWithoutExtension(package)["MnistRnn.NUnit.".Length..];
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        using var reader = new StreamReader(zip.GetEntry("MnistRnn.NUnit.nuspec")!.Open());
        string notes = System.Xml.Linq.XDocument.Parse(reader.ReadToEnd()).Descendants().Single(e => e.Name.LocalName == "releaseNotes").Value;

        string changelog = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "CHANGELOG.md")).ReplaceLineEndings("\n");
        Assert.That(Regex.IsMatch(version, @"^\d+\.\d+\.\d+$"), Is.True, $"a SemVer release version: {version}");
        Assert.That(notes, Does.StartWith($"## [{version}] - "), "the version's own section");
        Assert.That(changelog, Does.Contain(notes.ReplaceLineEndings("\n")));
        Assert.That(notes, Does.Not.Contain("\n## ["), "and no other version's");
    }

    /// <summary>
    /// The library page's own-data example: it makes its data, trains, evaluates, saves, reloads, classifies a plain array, and
    /// prints the reloaded model's accuracy on its last line. The time it takes is printed, not asserted (the issue asks for under two minutes on 2 cores).
    /// </summary>
    [Test]
    public void A_project_referencing_the_package_learns_the_readmes_own_data_example()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = BuildAndRun(ReadmeExample("custom-data-example"), withMnist: false);
        TestContext.Out.WriteLine($"built and ran in {clock.Elapsed.TotalSeconds:F0} s (run alone: {run.Seconds:F0} s)");

        string lastLine = run.Output.TrimEnd().Split('\n')[^1];
        var accuracy = Regex.Match(lastLine, @"^test accuracy (?<value>[01]\.\d+)$");
        Assert.That(accuracy.Success, Is.True, $"the last line is 'test accuracy A': {lastLine}");
        Assert.That(double.Parse(accuracy.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(0.9), run.Output);
        // The sequence it classifies from a plain array is class 1 by construction, which the trained model gets.
        Assert.That(run.Output, Does.Match(@"class 1 with probability [01]\.\d{3}, logits (-?\d+\.\d\d ?){4}"), run.Output);
    }

    private sealed record RunResult(string Output, double Seconds);

    // Builds a console project of the given code against the packed library and runs it.
    private static RunResult BuildAndRun(string program, bool withMnist, params string[] arguments)
    {
        using var folder = new TempFolder();
        string consumer = Consumer(folder, program, "net10.0");
        if (withMnist)
        {
            // The example reads data/mnist relative to where it runs; give it the vendored copy there.
            Directory.CreateDirectory(Path.Combine(consumer, "data"));
            FolderCopy.Copy(RepositoryPaths.Mnist, Path.Combine(consumer, "data", "mnist"));
        }

        var build = Dotnet(consumer, "build", "-c", "Release");
        Assert.That(build.ExitCode, Is.EqualTo(0), build.Output + build.Error);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = Dotnet(consumer, ["run", "--no-build", "-c", "Release", "--", .. arguments]);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output + run.Error);
        return new RunResult(run.Output, clock.Elapsed.TotalSeconds);
    }

    // A console project of the given code and framework that references the packed library (and nothing else's feed): its folder.
    private static string Consumer(TempFolder folder, string program, string targetFramework, string outputType = "Exe")
    {
        var (feed, version) = PackedPackages.Get();
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
                <OutputType>{outputType}</OutputType>
                <TargetFramework>{targetFramework}</TargetFramework>
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
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), program);
        return consumer;
    }

    // Every csharp block of the guide, indented ones (inside a list) included, as it stands.
    private static IEnumerable<TestCaseData> GuideBlocks()
    {
        string guide = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "library.md"));
        foreach (Match block in Regex.Matches(guide, @"^(?<indent>[ ]*)```csharp\n(?<code>.*?)^\k<indent>```", RegexOptions.Singleline | RegexOptions.Multiline))
        {
            int indent = block.Groups["indent"].Length;
            string code = string.Join('\n', block.Groups["code"].Value.Split('\n').Select(line => line.Length >= indent ? line[indent..] : line.TrimStart()));
            int line = guide[..block.Index].Count(c => c == '\n') + 1;
            yield return new TestCaseData(code) { TestName = $"{{m}}(docs/library.md line {line})" };
        }
    }

    [TestCaseSource(nameof(GuideBlocks))]
    public void Every_csharp_block_of_the_guide_compiles_against_the_package_as_it_stands(string code)
    {
        // A block of declarations only (a callback class) is a library's code; any other is a program's.
        bool declarationsOnly = code.Split('\n').Select(l => l.Trim())
            .First(l => l.Length > 0 && !l.StartsWith("using ") && !l.StartsWith("//")) is var first
            && Regex.IsMatch(first, @"^((public|internal|sealed|abstract|static|partial)\s+)*(class|record|struct|interface|enum)\s");
        using var folder = new TempFolder();
        string consumer = Consumer(folder, code, "net10.0", declarationsOnly ? "Library" : "Exe");

        var build = Dotnet(consumer, "build", "-c", "Release");

        Assert.That(build.ExitCode, Is.EqualTo(0), build.Output + build.Error);
    }

    [Test]
    public void A_project_on_an_older_framework_gets_nugets_own_incompatibility_error()
    {
        // The package's build files sit in a framework folder, so NuGet checks the framework instead of restoring quietly
        // and leaving the compiler to say that the namespace MnistRnn does not exist.
        using var folder = new TempFolder();
        string consumer = Consumer(folder, "Console.WriteLine(typeof(MnistRnn.Training.Trainer));", "net8.0");

        var restore = Dotnet(consumer, "restore");

        Assert.That(restore.ExitCode, Is.Not.EqualTo(0), restore.Output);
        Assert.That(restore.Output + restore.Error, Does.Contain("NU1202").And.Contain("net8.0"));
    }
}
