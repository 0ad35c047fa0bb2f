using System.Runtime.CompilerServices;
using MnistRnn.Studies;

namespace MnistRnn.NUnit;

/// <summary>Constraints on a <see cref="ScoreDistribution"/>: <c>Assert.That(distribution, Matches.Baseline("gru-waves"))</c>.</summary>
public static class Matches
{
    /// <summary>
    /// Passes when the distribution's median is within the tolerance of the baseline file <c>NAME.baseline.json</c> beside the
    /// test's source file (or at <paramref name="name"/> when it is an absolute path ending in <c>.baseline.json</c>); see
    /// <see cref="Studies.Baseline.Check"/>. Without a baseline, or on a regression, it fails and writes <c>NAME.received.json</c>
    /// beside it, which a rename accepts.
    /// </summary>
    /// <param name="name">
    /// The baseline's name, such as <c>gru-waves</c>: one file name (no folder, no <c>..</c>, no slash or backslash), so that
    /// baselines stay beside the test; or an absolute path ending in <c>.baseline.json</c>.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is neither.</exception>
    /// <param name="minimumTolerance">The least tolerance, on the score's own scale.</param>
    /// <param name="testFile">Filled in by the compiler: the test's source file, beside which baselines live.</param>
    public static BaselineConstraint Baseline(string name, double minimumTolerance = Studies.Baseline.DefaultMinimumTolerance, [CallerFilePath] string testFile = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        bool absolute = Path.IsPathFullyQualified(name) && name.EndsWith(".baseline.json", StringComparison.OrdinalIgnoreCase);
        if (!absolute && (name is "." or ".." || name.Contains('/') || name.Contains('\\') || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Any(char.IsControl)))
            throw new ArgumentException(
                $"Matches.Baseline(\"{string.Concat(name.Select(c => char.IsControl(c) ? '?' : c))}\"): a baseline's name is one file name, such as \"gru-waves\", " +
                "kept beside the test (no folder, '..', slash or backslash); give an absolute path ending in .baseline.json to keep it elsewhere.", nameof(name));
        string path = name.EndsWith(".baseline.json", StringComparison.OrdinalIgnoreCase)
            ? Path.Combine(Path.GetDirectoryName(testFile) ?? "", name)
            : Path.Combine(Path.GetDirectoryName(testFile) ?? "", name + ".baseline.json");
        return new BaselineConstraint(path, minimumTolerance);
    }
}
