using System.Globalization;
using System.Text.RegularExpressions;
using MnistRnn.IO;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>
/// A folder of checkpoints named <c>checkpoint-step-NNNNNNN.ckpt</c>, each written through <see cref="AtomicFile"/>, so a
/// crash mid-write leaves at most a stray temporary file, never a half checkpoint under a good name. Only the newest
/// <see cref="Keep"/> checkpoints are kept. Given to <see cref="Trainer.Callbacks"/>, it writes one every
/// <see cref="TrainingOptions.CheckpointEvery"/> steps, after the last step, when anything stops the run early (early stopping,
/// the time budget, any callback's stop, wherever it is listed) and when training is cancelled, but never after a step whose update was skipped (not a good state to resume from).
/// </summary>
public sealed partial class CheckpointStore : TrainingCallback
{
    /// <summary>Default number of checkpoints kept.</summary>
    public const int DefaultKeep = 2;

    /// <summary>Uses (and creates) <paramref name="folder"/>, keeping the newest <paramref name="keep"/> checkpoints.</summary>
    /// <exception cref="IOException">The folder cannot be made (a file is in its place or above it); one sentence names it.</exception>
    /// <exception cref="UnauthorizedAccessException">Its parent is read-only or not this user's; one sentence names it.</exception>
    public CheckpointStore(string folder, int keep = DefaultKeep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Folder = Path.GetFullPath(folder);
        Keep = keep;
        try
        {
            Directory.CreateDirectory(Folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFile.FolderRefused(Folder, "checkpoints", e);
        }
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>How many checkpoints are kept.</summary>
    public int Keep { get; }

    /// <summary>
    /// Whether to keep the checkpoint of the best validation so far as <see cref="BestFileName"/>, beside the periodic
    /// ones and never pruned by <see cref="Keep"/> (as Keras's <c>ModelCheckpoint(save_best_only=True)</c>). Default: false.
    /// </summary>
    public bool KeepBest { get; init; }

    /// <summary>The file name of the best validation's checkpoint (see <see cref="KeepBest"/>).</summary>
    public const string BestFileName = "checkpoint-best" + CheckpointFile.Extension;

    /// <summary>The best validation's checkpoint in <paramref name="folder"/>, or null when it holds none.</summary>
    public static string? Best(string folder)
    {
        string path = Path.Combine(folder, BestFileName);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The file name of the checkpoint after <paramref name="step"/> steps.</summary>
    public static string FileName(int step) => $"checkpoint-step-{step:D7}{CheckpointFile.Extension}";

    /// <summary>
    /// Checkpoint files in <paramref name="folder"/>, newest (highest step) first; none when it does not exist.
    /// Names whose step is not a number a run can reach (checkpoint-step-99999999999.ckpt) are not checkpoints.
    /// </summary>
    public static IReadOnlyList<string> List(string folder) =>
        !Directory.Exists(folder) ? []
        : Directory.EnumerateFiles(folder, $"checkpoint-step-*{CheckpointFile.Extension}")
            .Select(f => (File: f, Step: StepOf(f)))
            .Where(f => f.Step >= 0)
            .OrderByDescending(f => f.Step)
            .Select(f => f.File)
            .ToList();

    /// <summary>The step in a checkpoint file's name, or -1 when the name is not one this store writes.</summary>
    public static int StepOf(string path)
    {
        var match = StepPattern().Match(Path.GetFileName(path));
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int step) ? step : -1;
    }

    /// <inheritdoc/>
    public override void OnStepEnd(TrainingContext context)
    {
        bool due = StepSchedule.IsDue(context.Step, context.Options.CheckpointEvery, context.Options.Steps);
        if (due && context.SkippedUpdatesInARow == 0) Save(context);
    }

    /// <inheritdoc/>
    public override void OnStopping(TrainingContext context)
    {
        if (context.SkippedUpdatesInARow == 0) Save(context);
    }

    /// <inheritdoc/>
    public override void OnValidationEnd(TrainingContext context, ValidationRecord validation)
    {
        if (KeepBest && validation.IsBest && context.SkippedUpdatesInARow == 0)
            TrainingLog.CheckpointWritten(context.Logger, context.Step, Write(context, BestFileName));
    }

    /// <inheritdoc/>
    public override void OnInterrupted(TrainingContext context) => Save(context);

    // Writes the checkpoint of the context's step, unless it exists already (the step was due and then cancelled), then removes those beyond Keep.
    private void Save(TrainingContext context)
    {
        string name = FileName(context.Step);
        if (context.Step < 1 || context.LastCheckpoint == Path.Combine(Folder, name)) return;
        context.LastCheckpoint = Write(context, name);
        TrainingLog.CheckpointWritten(context.Logger, context.Step, context.LastCheckpoint);
        foreach (string old in List(Folder).Skip(Keep)) File.Delete(old);
    }

    private string Write(TrainingContext context, string name)
    {
        string path = Path.Combine(Folder, name);
        AtomicFile.WriteStream(path, file =>
        {
            CheckpointFile.Write(file, context.CheckpointedRun, context.StateOwners);
            file.Flush();
        });
        return path;
    }

    [GeneratedRegex(@"^checkpoint-step-([0-9]+)\.ckpt$")]
    private static partial Regex StepPattern();
}
