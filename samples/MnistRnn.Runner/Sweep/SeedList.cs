using System.Globalization;

namespace MnistRnn.Runner.Sweep;

/// <summary><c>--seeds 1-5</c>, <c>--seeds 1,4,9</c> or both (<c>1-3,10</c>): the seeds every configuration of a sweep trains with.</summary>
internal static class SeedList
{
    /// <summary>More seeds than any study needs; it bounds what a typo such as <c>1-50000</c> would plan.</summary>
    public const int MaxSeeds = 10_000;

    /// <summary>The seeds <paramref name="text"/> names, in the order written.</summary>
    /// <exception cref="UserErrorException">It is empty, malformed, a range runs backwards, or a seed repeats (exit 2).</exception>
    public static IReadOnlyList<long> Parse(string text)
    {
        var seeds = new List<long>();
        foreach (string part in text.Split(','))
        {
            string[] ends = part.Trim().Split('-');
            if (ends.Length is < 1 or > 2 || !ends.All(IsSeed))
                throw Invalid(text, $"'{part}' is not a seed or a range such as 1-5");
            long low = long.Parse(ends[0], CultureInfo.InvariantCulture), high = long.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (high < low) throw Invalid(text, $"the range {part} runs backwards; write it from low to high, such as {high}-{low}");
            if (high - low >= MaxSeeds || seeds.Count + (high - low + 1) > MaxSeeds) throw Invalid(text, $"that is more than {MaxSeeds:N0} seeds");
            for (long seed = low; seed <= high; seed++)
            {
                if (seeds.Contains(seed)) throw Invalid(text, $"seed {seed} is given twice");
                seeds.Add(seed);
            }
        }
        return seeds;
    }

    // Seeds are non-negative here: a '-' separates the ends of a range.
    private static bool IsSeed(string text) => text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit);

    private static UserErrorException Invalid(string text, string problem) =>
        new(ExitCodes.InvalidArguments, $"--seeds {text}: {problem}.");
}
