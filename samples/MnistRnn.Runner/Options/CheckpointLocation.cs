using MnistRnn.Checkpoints;

namespace MnistRnn.Runner.Options;

/// <summary>
/// Reads the checkpoint a <c>--resume</c> or <c>--checkpoint</c> flag names: a file, or in a folder the newest usable one,
/// or for a model to use rather than a run to continue, the best validation's when the folder holds one (<c>train --keep-best</c>).
/// </summary>
internal static class CheckpointLocation
{
    /// <summary>The checkpoint at <paramref name="path"/>; which one a folder gave, and what was skipped, goes to <paramref name="notes"/> (standard error).</summary>
    /// <exception cref="UserErrorException">Nothing usable is there (exit 6).</exception>
    public static Checkpoint Read(string path, string flag, TextWriter notes, bool preferBest = false)
    {
        try
        {
            if (!Directory.Exists(path)) return CheckpointFile.Read(path);
            if (preferBest && CheckpointStore.Best(path) is { } best)
            {
                var checkpoint = CheckpointFile.Read(best);
                // On standard error, so that eval's and predict's standard output stays what it is for any checkpoint.
                notes.WriteLine($"note: using {Path.GetFileName(best)}, the best validation's weights (step {checkpoint.Info.Step}); name a checkpoint file to use another.");
                return checkpoint;
            }
            var candidates = CheckpointStore.List(path);
            if (candidates.Count == 0)
                throw new UserErrorException(ExitCodes.BadCheckpoint, $"{flag}: folder {path} holds no checkpoint-step-*.ckpt files.");
            // The newest that reads cleanly; an unreadable newer one is reported, not silently skipped.
            var problems = new List<string>();
            foreach (string candidate in candidates)
            {
                try
                {
                    var checkpoint = CheckpointFile.Read(candidate);
                    foreach (string problem in problems) notes.WriteLine($"warning: skipped {problem}");
                    return checkpoint;
                }
                catch (CheckpointException e)
                {
                    problems.Add(e.Message);
                }
            }
            throw new UserErrorException(ExitCodes.BadCheckpoint, $"{flag}: no checkpoint in {path} is usable; the newest: {problems[0]}");
        }
        catch (CheckpointException e)
        {
            throw new UserErrorException(ExitCodes.BadCheckpoint, $"{flag}: {e.Message}");
        }
    }
}
