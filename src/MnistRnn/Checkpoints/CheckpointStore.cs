using System.Globalization;
using System.Text.RegularExpressions;
using MnistRnn.IO;

namespace MnistRnn.Checkpoints;

/// <summary>
/// A folder of checkpoints named <c>checkpoint-step-NNNNNNN.ckpt</c>, each written through <see cref="AtomicFile"/>, so a
/// crash mid-write leaves at most a stray temporary file, never a half checkpoint under a good name. Only the newest
/// <see cref="Keep"/> checkpoints are kept.
/// </summary>
public sealed partial class CheckpointStore
{
    /// <summary>Default number of checkpoints kept.</summary>
    public const int DefaultKeep = 2;

    /// <summary>Uses (and creates) <paramref name="folder"/>, keeping the newest <paramref name="keep"/> checkpoints.</summary>
    public CheckpointStore(string folder, int keep = DefaultKeep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Folder = Path.GetFullPath(folder);
        Keep = keep;
        Directory.CreateDirectory(Folder);
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

    /// <summary>For tests: wraps the stream a checkpoint is written through, to simulate a failure mid-write.</summary>
    internal Func<Stream, Stream>? WrapWriteStream { get; set; }

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

    /// <summary>Writes <paramref name="state"/> atomically, then removes checkpoints beyond <see cref="Keep"/>; returns the path.</summary>
    internal string Save(TrainingState state, string device)
    {
        string path = Write(state, device, FileName(state.Step));
        foreach (string old in List(Folder).Skip(Keep)) File.Delete(old);
        return path;
    }

    /// <summary>Writes <paramref name="state"/> atomically as <see cref="BestFileName"/>; returns the path.</summary>
    internal string SaveBest(TrainingState state, string device) => Write(state, device, BestFileName);

    private string Write(TrainingState state, string device, string name)
    {
        string path = Path.Combine(Folder, name);
        AtomicFile.Write(path, file =>
        {
            var stream = WrapWriteStream?.Invoke(file) ?? file;
            CheckpointFile.Write(stream, state, device);
            stream.Flush();
        });
        return path;
    }

    [GeneratedRegex(@"^checkpoint-step-([0-9]+)\.ckpt$")]
    private static partial Regex StepPattern();
}
