using MnistRnn.Checkpoints;

namespace MnistRnn.Runner;

/// <summary>Reads the checkpoint a <c>--resume</c> or <c>--checkpoint</c> flag names: a file, or the newest usable one in a folder.</summary>
internal static class CheckpointLocation
{
    /// <exception cref="UserErrorException">Nothing usable is there (exit 6).</exception>
    public static Checkpoint Read(string path, string flag)
    {
        try
        {
            if (!Directory.Exists(path)) return CheckpointFile.Read(path);
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
                    foreach (string problem in problems) Console.Error.WriteLine($"warning: skipped {problem}");
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
