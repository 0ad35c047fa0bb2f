namespace MnistRnn.Training;

/// <summary>Whether a periodic task (validation, a checkpoint) is due after a step: every <c>every</c> steps, and after the last.</summary>
internal static class StepSchedule
{
    /// <summary>True after every <paramref name="every"/>-th step and after <paramref name="lastStep"/>; <paramref name="every"/> 0 means only after the last.</summary>
    public static bool IsDue(int step, int every, int lastStep) => step == lastStep || (every > 0 && step % every == 0);
}
