namespace MnistRnn.Runner.Sweep;

/// <summary>The files of one trial, in <c>DIR/trials/NNNN/</c>.</summary>
internal sealed class TrialFolder(string sweepFolder, SweepPlan plan, SweepTrial trial)
{
    public SweepTrial Trial { get; } = trial;

    public string Path { get; } = System.IO.Path.Combine(sweepFolder, "trials", plan.FolderName(trial.Number));

    /// <summary>The trial's settings, as <c>train --config</c> reads them.</summary>
    public string Config => System.IO.Path.Combine(Path, "config.json");

    /// <summary>What training printed, every attempt appended.</summary>
    public string Log => System.IO.Path.Combine(Path, "train.log");

    /// <summary><c>train --summary</c>'s file.</summary>
    public string Summary => System.IO.Path.Combine(Path, "summary.json");

    public string Result => System.IO.Path.Combine(Path, "result.json");

    public string Checkpoints => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>How the last attempt ended; null before any ended.</summary>
    public TrialResult? ReadResult() => TrialResult.Read(Result);

    /// <summary>The folders of every trial of <paramref name="plan"/> in <paramref name="sweepFolder"/>.</summary>
    public static IReadOnlyList<TrialFolder> All(string sweepFolder, SweepPlan plan) =>
        plan.Trials.Select(t => new TrialFolder(sweepFolder, plan, t)).ToList();
}
