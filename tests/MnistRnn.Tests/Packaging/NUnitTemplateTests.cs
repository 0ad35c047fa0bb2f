using System.Text.RegularExpressions;
using System.Xml.Linq;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>
/// The NUnit on-ramp exactly as a user takes it: <c>dotnet new nunit</c>, then <c>dotnet add package MnistRnn.NUnit</c>, then
/// a build of a test that calls <c>Matches.Baseline</c>. The template pins its own NUnit (4.3.2 with the .NET 10 SDK), so the
/// package must ask for no newer one.
/// </summary>
[Category("Package")]
[Parallelizable(ParallelScope.Self)]
public sealed class NUnitTemplateTests
{
    private static DotnetProcess.Result Dotnet(string workingDirectory, params string[] args) =>
        DotnetProcess.Run(workingDirectory, TimeSpan.FromMinutes(10), args);

    [Test]
    public void A_project_made_by_the_nunit_template_adds_the_package_and_builds_a_baseline_test()
    {
        using var folder = new TempFolder();
        string project = folder.File("MyModel.Tests");
        var (feed, version) = PackedPackages.Get();
        var created = Dotnet(folder.Path, "new", "nunit", "-o", project);
        Assert.That(created.ExitCode, Is.EqualTo(0), created.Output + created.Error);
        string csproj = Path.Combine(project, "MyModel.Tests.csproj");
        string? templateNUnit = XDocument.Load(csproj).Descendants("PackageReference").FirstOrDefault(r => (string?)r.Attribute("Include") == "NUnit")
            ?.Attribute("Version")?.Value;
        TestContext.Out.WriteLine($"the template's NUnit: {templateNUnit}");

        var added = Dotnet(project, "add", "package", "MnistRnn.NUnit", "--version", version, "--source", feed);
        Assert.That(added.ExitCode, Is.EqualTo(0), added.Output + added.Error);
        Assert.That(added.Output + added.Error, Does.Not.Contain("NU1605"));
        File.WriteAllText(Path.Combine(project, "BaselineTest.cs"), """
            using MnistRnn.NUnit;
            using MnistRnn.Studies;

            namespace MyModel.Tests;

            public class BaselineTest
            {
                [Test]
                public void Matches_its_baseline() =>
                    Assert.That(new ScoreDistribution([new SeedScore(1, 0.9)], 1, SeedStudy.ThisMachine), Matches.Baseline("my-model"));
            }
            """);
        var build = Dotnet(project, "build");
        Assert.That(build.ExitCode, Is.EqualTo(0), build.Output + build.Error);
        Assert.That(Regex.IsMatch(build.Output, @"warning NU1\d{3}"), Is.False, build.Output);
    }
}
