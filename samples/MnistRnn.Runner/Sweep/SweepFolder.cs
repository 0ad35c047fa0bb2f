using MnistRnn.IO;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// A sweep's folder: <c>plan.json</c>, and <c>trials/NNNN/</c> with each trial's config. The first sweep to reach a new
/// folder writes the plan; every later one (a rerun, a second worker, an array task) must bring the same plan or none.
/// </summary>
internal static class SweepFolder
{
    public const string PlanFile = "plan.json";

    // Writing a plan and its configs takes well under a second; a worker that finds the folder locked waits this long.
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(60);

    /// <summary>The plan in <paramref name="folder"/>.</summary>
    /// <exception cref="UserErrorException">The folder holds no plan (exit 2) or an unreadable one (exit 3).</exception>
    public static SweepPlan ReadPlan(string folder)
    {
        string path = Path.Combine(folder, PlanFile);
        if (!File.Exists(path))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--out: {folder} holds no sweep ({PlanFile} is missing); give the folder a sweep wrote, or plan one with --vary and --seeds.");
        return SweepPlan.Read(path);
    }

    /// <summary>
    /// Makes <paramref name="folder"/> hold <paramref name="plan"/>: writes it and every trial's config into a new or empty folder,
    /// or checks that the folder's plan is the same.
    /// </summary>
    /// <exception cref="UserErrorException">
    /// The folder holds another plan, or files that are not a sweep's (exit 2); it cannot be written (exit 5).
    /// </exception>
    public static void Prepare(string folder, SweepPlan plan)
    {
        if (File.Exists(folder)) throw new UserErrorException(ExitCodes.InvalidArguments, $"--out: {folder} is a file; give a folder for the sweep.");
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: cannot create folder {folder} ({e.Message}).");
        }
        // Checked before the lock, so that a refused folder (wherever a link leads) gets no lock file; then again under it.
        // Before the lock, a folder another sweep holds locked may be half written (trials, no plan yet): that waits for the lock.
        EnsureHolds(folder, plan, preparedByAnother: File.Exists(Path.Combine(folder, FolderLock.FileName)));
        using var claim = AcquireWaiting(folder);
        bool planned = EnsureHolds(folder, plan, preparedByAnother: false);
        string planPath = Path.Combine(folder, PlanFile);
        foreach (var trial in TrialFolder.All(folder, plan)) trial.EnsureOwnFolder();
        try
        {
            // A trial folder someone removed is made again from the plan.
            foreach (var trial in TrialFolder.All(folder, plan).Where(t => !File.Exists(t.Config)))
            {
                Directory.CreateDirectory(trial.Path);
                AtomicFile.WriteAllText(trial.Config, trial.Trial.Settings.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
            }
            // Last, so a folder with a plan has every trial's config.
            if (!planned) AtomicFile.WriteAllText(planPath, plan.ToJson());
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: cannot write the sweep's plan into {folder} ({e.Message}).");
        }
    }

    // Whether the folder holds this plan (true) or is free for it (false).
    private static bool EnsureHolds(string folder, SweepPlan plan, bool preparedByAnother)
    {
        string planPath = Path.Combine(folder, PlanFile);
        bool planned = File.Exists(planPath);
        if (planned && SweepPlan.Read(planPath).DifferenceFrom(plan) is { } difference)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--out: {folder} holds another sweep's plan ({difference}); run that sweep's own command again to continue it, or give a new folder.");
        if (!planned && !preparedByAnother && Directory.EnumerateFileSystemEntries(folder).Any(e => Path.GetFileName(e) != FolderLock.FileName))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--out: folder {folder} already holds files but no sweep plan; give a new folder so they are not mixed with a sweep.");
        return planned;
    }

    private static FolderLock AcquireWaiting(string folder)
    {
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                return FolderLock.Acquire(folder, "--out");
            }
            catch (FolderBusyException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
    }
}
