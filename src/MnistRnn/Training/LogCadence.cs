namespace MnistRnn.Training;

/// <summary>Which steps get a log line.</summary>
public sealed record LogCadence
{
    private LogCadence(int? every) => Every = every;

    /// <summary>The experiment's cadence: every 100 steps up to 1500, then every 1000.</summary>
    public static LogCadence Experiment { get; } = new((int?)null);

    /// <summary>Every <paramref name="steps"/> steps.</summary>
    public static LogCadence EveryNSteps(int steps) => new(steps);

    /// <summary>The fixed interval, or null for the experiment's cadence.</summary>
    public int? Every { get; }

    /// <summary>True when <paramref name="step"/> (1-based) gets a log line; the last step always does.</summary>
    public bool ShouldLog(int step, int lastStep)
    {
        if (step == lastStep) return true;
        if (Every is int every) return step % every == 0;
        return step <= 1500 ? step % 100 == 0 : step % 1000 == 0;
    }
}
