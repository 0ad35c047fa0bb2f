using MnistRnn.Studies;

namespace MnistRnn.Runner.Report;

/// <summary>
/// A figure over a report row's trials, as <c>report.json</c> holds it: its size, median, range and quartiles, computed as the
/// library's <see cref="ScoreDistribution"/> computes them (quartiles interpolated as numpy's default).
/// </summary>
internal sealed record Distribution(int Count, double Median, double Min, double Max, double LowerQuartile, double UpperQuartile)
{
    /// <summary>The spread of the middle half.</summary>
    public double InterquartileRange => UpperQuartile - LowerQuartile;

    /// <summary>The distribution of <paramref name="values"/>; null when there are none.</summary>
    public static Distribution? Of(IEnumerable<double> values)
    {
        var scores = values.Select((value, i) => new SeedScore(i, value)).ToList();
        if (scores.Count == 0) return null;
        var distribution = new ScoreDistribution(scores, Threads: 1, Machine: "");
        return new Distribution(scores.Count, distribution.Median, distribution.Min, distribution.Max, distribution.LowerQuartile, distribution.UpperQuartile);
    }
}
