namespace MnistRnn.Runner.Report;

/// <summary>
/// A sample of a figure over trials: its size, median, range and quartiles. Quartiles interpolate between the sorted values
/// (as numpy's default and R's type 7), so with n = 5 they are the 2nd and 4th values.
/// </summary>
internal sealed record Distribution(int Count, double Median, double Min, double Max, double LowerQuartile, double UpperQuartile)
{
    /// <summary>The spread of the middle half.</summary>
    public double InterquartileRange => UpperQuartile - LowerQuartile;

    /// <summary>The distribution of <paramref name="values"/>; null when there are none.</summary>
    public static Distribution? Of(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        if (sorted.Length == 0) return null;
        return new Distribution(sorted.Length, Quantile(sorted, 0.5), sorted[0], sorted[^1], Quantile(sorted, 0.25), Quantile(sorted, 0.75));
    }

    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
