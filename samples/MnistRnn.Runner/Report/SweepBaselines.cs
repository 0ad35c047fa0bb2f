using MnistRnn.Runner.Compare;
using MnistRnn.Studies;

namespace MnistRnn.Runner.Report;

/// <summary>
/// <c>report --baseline DIR</c>: each configuration's test accuracies as a baseline file (<c>CONFIGURATION.baseline.json</c>),
/// the file a regression test of the library (<c>Matches.Baseline</c>, <c>Baseline.Check</c>) compares with.
/// </summary>
internal static class SweepBaselines
{
    /// <summary>Writes a baseline per configuration with finished trials into <paramref name="folder"/>; returns the files written.</summary>
    /// <exception cref="UserErrorException">A configuration mixes thread counts (exit 2), or a file cannot be written (exit 5).</exception>
    public static IReadOnlyList<string> Write(SweepReport report, string folder)
    {
        var distributions = new List<(string Path, ScoreDistribution Distribution)>();
        foreach (var row in report.Rows)
        {
            var trials = row.Trials.Where(t => t.TestAccuracy is not null).ToList();
            if (trials.Count == 0) continue;
            if (trials.Select(t => t.Threads).Distinct().Count() > 1)
                throw new UserErrorException(ExitCodes.InvalidArguments,
                    $"--baseline: {row.Configuration} has trials at {string.Join(" and ", trials.Select(t => t.Threads).Distinct().Order())} threads; " +
                    "a baseline holds one thread count, so report without --pool threads.");
            string machine = string.Join("; ", trials.Select(t => t.Machine ?? "unrecorded").Distinct());
            var distribution = new ScoreDistribution([.. trials.Select(t => new SeedScore(t.Seed, t.TestAccuracy!.Value))], trials[0].Threads, machine);
            distributions.Add((Path.Combine(folder, RunSpec.SlugOf(row.Configuration) + ".baseline.json"), distribution));
        }
        try
        {
            Directory.CreateDirectory(folder);
            foreach (var (path, distribution) in distributions) BaselineFile.Write(distribution, path);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--baseline: cannot write baselines into {folder} ({e.Message}).");
        }
        return distributions.Select(d => d.Path).ToList();
    }
}
