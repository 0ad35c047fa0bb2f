using System.Globalization;
using System.Text;

namespace MnistRnn.Studies;

/// <summary>One training's score: the seed it trained with and what it scored (test accuracy, say; higher is better).</summary>
/// <param name="Seed">The seed.</param>
/// <param name="Value">The score.</param>
public sealed record SeedScore(long Seed, double Value);

/// <summary>
/// A model's scores over seeds, with the CPU threads they were computed with and the machine: a training result as the
/// distribution it is. Another machine or thread count rounds differently, and after thousands of steps that is as good
/// as another seed, so a figure means something only beside its spread. <see cref="SeedStudy.Run"/> makes one.
/// </summary>
/// <param name="Scores">The scores, in the order the seeds were given.</param>
/// <param name="Threads">The CPU threads libtorch computed with.</param>
/// <param name="Machine">The machine, in words (CPU model, logical cores, operating system, libtorch).</param>
public sealed record ScoreDistribution(IReadOnlyList<SeedScore> Scores, int Threads, string Machine)
{
    private double[] Sorted => [.. Scores.Select(s => s.Value).Order()];

    /// <summary>The middle score (the mean of the two middle ones for an even count).</summary>
    public double Median => Quantile(0.5);

    /// <summary>The lowest score.</summary>
    public double Min => Sorted[0];

    /// <summary>The highest score.</summary>
    public double Max => Sorted[^1];

    /// <summary>The spread of the scores: <see cref="Max"/> minus <see cref="Min"/>.</summary>
    public double Range => Max - Min;

    /// <summary>The first quartile, interpolated between sorted scores (as numpy's default).</summary>
    public double LowerQuartile => Quantile(0.25);

    /// <summary>The third quartile, interpolated between sorted scores.</summary>
    public double UpperQuartile => Quantile(0.75);

    private double Quantile(double q)
    {
        double[] sorted = Sorted;
        if (sorted.Length == 0) throw new InvalidOperationException("A distribution of no scores has no quantiles.");
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>Median, range and every seed's score on one line: <c>median 0.9837, range 0.9818 to 0.9852 (n 3: seed 1 0.9837, ...), 1 thread</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"median {Median:F4}, range {Min:F4} to {Max:F4} (n {Scores.Count}: ");
        text.Append(string.Join(", ", Scores.Select(s => string.Create(CultureInfo.InvariantCulture, $"seed {s.Seed} {s.Value:F4}"))));
        text.Append(CultureInfo.InvariantCulture, $"), {Threads} thread{(Threads == 1 ? "" : "s")}");
        return text.ToString();
    }
}
