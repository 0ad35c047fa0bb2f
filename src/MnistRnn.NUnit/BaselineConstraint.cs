using MnistRnn.Studies;
using NUnit.Framework;
using NUnit.Framework.Constraints;

namespace MnistRnn.NUnit;

/// <summary>The constraint <see cref="Matches.Baseline"/> makes: a <see cref="ScoreDistribution"/> checked against a baseline file.</summary>
public sealed class BaselineConstraint : Constraint
{
    private readonly string _baselinePath;
    private readonly double _minimumTolerance;

    /// <summary>A constraint against the baseline in <paramref name="baselinePath"/>.</summary>
    /// <param name="baselinePath">The baseline file.</param>
    /// <param name="minimumTolerance">The least tolerance, on the score's own scale.</param>
    public BaselineConstraint(string baselinePath, double minimumTolerance)
    {
        _baselinePath = baselinePath;
        _minimumTolerance = minimumTolerance;
    }

    /// <inheritdoc/>
    public override string Description => $"a distribution whose median is within the tolerance of the baseline {_baselinePath}";

    /// <inheritdoc/>
    public override ConstraintResult ApplyTo<TActual>(TActual actual)
    {
        if (actual is not ScoreDistribution received)
            throw new ArgumentException($"Matches.Baseline checks a ScoreDistribution (from SeedStudy.Run), not {actual?.GetType().Name ?? "null"}.", nameof(actual));
        var verdict = Baseline.Check(received, _baselinePath, _minimumTolerance);
        // A pass that is news (an improvement to accept, a baseline just recorded) is said in the test's output.
        if (verdict.Passed && verdict.Outcome != BaselineOutcome.Matched) TestContext.Out.WriteLine(verdict.Message);
        return new VerdictResult(this, verdict);
    }

    private sealed class VerdictResult(IConstraint constraint, BaselineVerdict verdict) : ConstraintResult(constraint, verdict.Received, verdict.Passed)
    {
        public override void WriteMessageTo(MessageWriter writer) => writer.WriteLine(verdict.Message);
    }
}
