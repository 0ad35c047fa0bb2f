namespace MnistRnn.Studies;

/// <summary>
/// Compares a distribution with a stored baseline, in the manner of snapshot testing: the baseline is a file beside the test
/// (<c>NAME.baseline.json</c>); a distribution that has none, regresses or improves is written beside it as
/// <c>NAME.received.json</c>, and accepting it is a rename (or one run with <see cref="AcceptVariable"/> set). The tolerance
/// is drawn from the baseline's own spread: the median may fall below the baseline's median by up to the baseline's range
/// (max minus min), and at least <c>minimumTolerance</c>, since another machine's rounding moves a trained model about as
/// much as another seed does, while a real regression moves it further.
/// </summary>
public static class Baseline
{
    /// <summary>Set to 1 (or true) to accept every received distribution as its baseline.</summary>
    public const string AcceptVariable = "MNISTRNN_ACCEPT_BASELINES";

    /// <summary>The least tolerance, for baselines whose seeds happened to agree: 0.002, two images in a thousand.</summary>
    public const double DefaultMinimumTolerance = 0.002;

    /// <summary>The received file that belongs beside <paramref name="baselinePath"/>: <c>x.baseline.json</c> gives <c>x.received.json</c>.</summary>
    public static string ReceivedPathFor(string baselinePath)
    {
        ArgumentNullException.ThrowIfNull(baselinePath);
        const string suffix = ".baseline.json";
        return baselinePath.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
            ? baselinePath[..^suffix.Length] + ".received.json"
            : baselinePath + ".received.json";
    }

    /// <summary>Compares <paramref name="received"/> with the baseline in <paramref name="baselinePath"/>.</summary>
    /// <param name="received">The distribution a test measured (<see cref="SeedStudy.Run"/>).</param>
    /// <param name="baselinePath">The baseline file; by convention <c>NAME.baseline.json</c> beside the test.</param>
    /// <param name="minimumTolerance">The least tolerance, on the score's own scale.</param>
    /// <param name="accept">Write <paramref name="received"/> as the baseline; null: only where <see cref="AcceptVariable"/> is 1 or true.</param>
    /// <exception cref="InvalidDataException">The baseline file is not one; the message names it.</exception>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static BaselineVerdict Check(ScoreDistribution received, string baselinePath, double minimumTolerance = DefaultMinimumTolerance, bool? accept = null)
    {
        ArgumentNullException.ThrowIfNull(received);
        ArgumentNullException.ThrowIfNull(baselinePath);
        if (!(minimumTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(minimumTolerance), minimumTolerance, "The tolerance must not be negative.");
        string receivedPath = ReceivedPathFor(baselinePath);
        if (accept ?? Environment.GetEnvironmentVariable(AcceptVariable) is "1" or "true" or "TRUE" or "True")
        {
            BaselineFile.Write(received, baselinePath);
            File.Delete(receivedPath);
            return new BaselineVerdict(BaselineOutcome.Accepted, received, null, null, baselinePath, null);
        }
        if (!File.Exists(baselinePath))
        {
            BaselineFile.Write(received, receivedPath);
            return new BaselineVerdict(BaselineOutcome.Missing, received, null, null, baselinePath, receivedPath);
        }
        var expected = BaselineFile.Read(baselinePath);
        double tolerance = Math.Max(expected.Range, minimumTolerance);
        var outcome = received.Median < expected.Median - tolerance ? BaselineOutcome.Regressed
            : received.Median > expected.Median + tolerance ? BaselineOutcome.Improved
            : BaselineOutcome.Matched;
        if (outcome == BaselineOutcome.Matched)
        {
            File.Delete(receivedPath);
            return new BaselineVerdict(outcome, received, expected, tolerance, baselinePath, null);
        }
        BaselineFile.Write(received, receivedPath);
        return new BaselineVerdict(outcome, received, expected, tolerance, baselinePath, receivedPath);
    }
}
