using System.Globalization;
using System.Text;

namespace MnistRnn.Studies;

/// <summary>How a distribution compares with its baseline.</summary>
public enum BaselineOutcome
{
    /// <summary>Its median is within the tolerance of the baseline's.</summary>
    Matched,

    /// <summary>Its median is above the baseline's by more than the tolerance: no regression, and a higher bar to accept.</summary>
    Improved,

    /// <summary>Its median is below the baseline's by more than the tolerance: a regression.</summary>
    Regressed,

    /// <summary>There is no baseline yet; the distribution was written as the received file, to be accepted.</summary>
    Missing,

    /// <summary>The distribution was accepted: written as the baseline.</summary>
    Accepted,
}

/// <summary>The outcome of <see cref="Baseline.Check"/>, with both distributions and a message that shows them side by side.</summary>
/// <param name="Outcome">How they compare.</param>
/// <param name="Received">The distribution checked.</param>
/// <param name="Expected">The baseline's; null when there was none.</param>
/// <param name="Tolerance">How far the median may fall below the baseline's: the baseline's range, at least the minimum given; null without a baseline.</param>
/// <param name="BaselinePath">The baseline file.</param>
/// <param name="ReceivedPath">The received file written beside it (to review and accept); null when none was written.</param>
public sealed record BaselineVerdict(BaselineOutcome Outcome, ScoreDistribution Received, ScoreDistribution? Expected, double? Tolerance, string BaselinePath,
    string? ReceivedPath)
{
    /// <summary>Whether a regression test passes: anything but <see cref="BaselineOutcome.Regressed"/> and <see cref="BaselineOutcome.Missing"/>.</summary>
    public bool Passed => Outcome is BaselineOutcome.Matched or BaselineOutcome.Improved or BaselineOutcome.Accepted;

    /// <summary>What happened in a sentence, then the two distributions side by side, then how to accept the received one.</summary>
    public string Message
    {
        get
        {
            var text = new StringBuilder();
            var invariant = CultureInfo.InvariantCulture;
            string? accept = ReceivedPath is null ? null
                : $"If the received distribution is right, accept it: rename {ReceivedPath} to {BaselinePath}, or run the tests once with {Baseline.AcceptVariable}=1.";
            switch (Outcome)
            {
                case BaselineOutcome.Missing:
                    text.AppendLine($"No baseline at {BaselinePath} yet; received {Received}.");
                    text.Append(accept);
                    return text.ToString();
                case BaselineOutcome.Accepted:
                    text.Append($"Accepted as the baseline ({BaselinePath}): {Received}.");
                    return text.ToString();
            }
            double shift = Received.Median - Expected!.Median;
            text.AppendLine(Outcome switch
            {
                BaselineOutcome.Regressed => string.Create(invariant, $"Regressed: the median is {-shift:F4} below the baseline's, more than the tolerance {Tolerance:F4}."),
                BaselineOutcome.Improved => string.Create(invariant, $"Improved: the median is {shift:F4} above the baseline's, more than the tolerance {Tolerance:F4}."),
                _ => string.Create(invariant, $"Matched: the median is within {Tolerance:F4} of the baseline's ({shift:+0.0000;-0.0000;0})."),
            });
            if (OtherConditions is { } conditions) text.AppendLine(conditions);
            var rows = new List<(string Label, string Baseline, string Received)>
            {
                ("", $"baseline ({Expected.Threads} thread{(Expected.Threads == 1 ? "" : "s")})", $"received ({Received.Threads} thread{(Received.Threads == 1 ? "" : "s")})"),
                ("median", Format(Expected.Median), Format(Received.Median)),
                ("range", $"{Format(Expected.Min)} to {Format(Expected.Max)}", $"{Format(Received.Min)} to {Format(Received.Max)}"),
            };
            foreach (long seed in Expected.Scores.Select(s => s.Seed).Union(Received.Scores.Select(s => s.Seed)))
                rows.Add(($"seed {seed}", Format(Expected.Scores.FirstOrDefault(s => s.Seed == seed)?.Value), Format(Received.Scores.FirstOrDefault(s => s.Seed == seed)?.Value)));
            int label = rows.Max(r => r.Label.Length), left = rows.Max(r => r.Baseline.Length);
            foreach (var (name, baseline, received) in rows) text.AppendLine($"  {name.PadRight(label)}  {baseline.PadRight(left)}  {received}".TrimEnd());
            text.AppendLine($"  baseline machine: {Expected.Machine}");
            text.Append($"  received machine: {Received.Machine}");
            if (accept is not null) text.AppendLine().Append(accept);
            return text.ToString();
        }
    }

    /// <summary>
    /// One sentence naming what differs between the conditions of the two distributions (the seeds, the thread count, the
    /// machine), which can move a score as much as a change of the model can; null when they were measured alike.
    /// </summary>
    public string? OtherConditions
    {
        get
        {
            if (Expected is null) return null;
            var differences = new List<string>();
            long[] expectedSeeds = [.. Expected.Scores.Select(s => s.Seed).Order()], receivedSeeds = [.. Received.Scores.Select(s => s.Seed).Order()];
            if (!expectedSeeds.SequenceEqual(receivedSeeds))
                differences.Add($"other seeds (the baseline's {string.Join(", ", expectedSeeds)}, received {string.Join(", ", receivedSeeds)})");
            if (Expected.Threads != Received.Threads) differences.Add($"another thread count ({Received.Threads} against the baseline's {Expected.Threads})");
            if (Expected.Machine != Received.Machine) differences.Add("another machine (below)");
            return differences.Count == 0 ? null
                : $"Note: the received distribution was measured with {string.Join(", ", differences)}; each rounds differently, so the comparison may show that rather than a change of the model.";
        }
    }

    private static string Format(double? value) => value?.ToString("F4", CultureInfo.InvariantCulture) ?? "-";
}
