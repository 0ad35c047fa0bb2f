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

    /// <summary><c>train --metrics</c>'s folder, for a comparison's trials.</summary>
    public string Metrics => System.IO.Path.Combine(Path, "metrics");

    /// <summary>How the last attempt ended; null before any ended.</summary>
    public TrialResult? ReadResult() => TrialResult.Read(Result);

    /// <summary>Whether another worker holds the trial's lock now, so is running it.</summary>
    public bool IsHeldByAnotherWorker()
    {
        if (!Directory.Exists(Path)) return false;
        try
        {
            using var claim = FolderLock.Acquire(Path, "--out");
            return false;
        }
        catch (FolderBusyException)
        {
            return true;
        }
        catch (UserErrorException)
        {
            return false;
        }
    }

    /// <summary>Throws when the trial's folder, or the sweep's <c>trials</c> folder, is a symbolic link.</summary>
    /// <exception cref="UserErrorException">It is one (exit 3): it could lead to another trial's files or out of the sweep.</exception>
    public void EnsureOwnFolder()
    {
        foreach (string path in new[] { System.IO.Path.GetDirectoryName(Path)!, Path })
        {
            if (new DirectoryInfo(path).LinkTarget is { } target)
                throw new UserErrorException(ExitCodes.InvalidData,
                    $"--out: {path} is a symbolic link (to {target}); a sweep's trial folders must be its own, so replace it with a folder, or remove it to have the sweep make it again.");
        }
    }

    /// <summary>The first setting in which the trial's <c>config.json</c> differs from the plan's row, in a phrase; null when it matches.</summary>
    public string? ConfigDifference()
    {
        System.Text.Json.Nodes.JsonObject? config;
        try
        {
            config = System.Text.Json.Nodes.JsonNode.Parse(MnistRnn.IO.RegularFile.ReadAllBytes(Config, 1 << 20, "trial config")) as System.Text.Json.Nodes.JsonObject;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or FileNotFoundException || FileErrors.Refused(e))
        {
            return "it is not the JSON object of settings the sweep wrote";
        }
        if (config is null) return "it is not the JSON object of settings the sweep wrote";
        var plan = Trial.Settings;
        string? key = plan.Select(p => p.Key).Union(config.Select(p => p.Key))
            .FirstOrDefault(k => !System.Text.Json.Nodes.JsonNode.DeepEquals(plan[k], config[k]));
        return key is null ? null : $"{key} is {config[key]?.ToJsonString() ?? "unset"} there and {plan[key]?.ToJsonString() ?? "unset"} in the plan";
    }

    /// <summary>The folders of every trial of <paramref name="plan"/> in <paramref name="sweepFolder"/>.</summary>
    public static IReadOnlyList<TrialFolder> All(string sweepFolder, SweepPlan plan) =>
        plan.Trials.Select(t => new TrialFolder(sweepFolder, plan, t)).ToList();
}
