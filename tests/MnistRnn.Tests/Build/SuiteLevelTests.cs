using System.Reflection;

namespace MnistRnn.Tests.Build;

/// <summary>
/// Every test says what it needs in exactly one level category, so that <c>dotnet test --filter TestCategory=...</c>
/// picks a level by name (docs/testing.md): the fast level is <c>TestCategory=Unit|TestCategory=RunnerInProcess</c>.
/// </summary>
[Category("Unit")]
public sealed class SuiteLevelTests
{
    private static readonly string[] Levels = ["Unit", "RunnerInProcess", "RunnerProcess", "Regression", "Package", "Python", "Hostile", "Slurm"];

    [Test]
    public void Every_test_has_exactly_one_level()
    {
        var tests = typeof(SuiteLevelTests).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods().Where(m => m.GetCustomAttributes().Any(a => a is TestAttribute or TestCaseAttribute or TestCaseSourceAttribute))
                .Select(method => (Name: $"{type.Name}.{method.Name}",
                    Categories: type.GetCustomAttributes<CategoryAttribute>().Concat(method.GetCustomAttributes<CategoryAttribute>()).Select(c => c.Name))))
            .ToList();

        Assert.That(tests, Has.Count.GreaterThan(100));
        Assert.That(tests.Where(t => t.Categories.Count(Levels.Contains) != 1).Select(t => $"{t.Name}: {string.Join(", ", t.Categories)}"), Is.Empty);
    }
}
