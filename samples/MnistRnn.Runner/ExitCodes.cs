namespace MnistRnn.Runner;

/// <summary>The runner's exit codes; each kind of failure has its own.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int InternalError = 1;
    public const int InvalidArguments = 2;
    public const int InvalidData = 3;
    public const int DeviceUnavailable = 4;
    public const int OutputNotWritable = 5;
    public const int BadCheckpoint = 6;
    public const int BadImage = 7;
    public const int Diverged = 8;
    public const int TrialsFailed = 9;
    public const int SchedulerRefused = 10;
    public const int Canceled = 130;
}

/// <summary>A failure the user can fix: one sentence and an exit code, never a stack trace.</summary>
internal class UserErrorException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A folder that another run holds (exit 2): callers that wait or move on catch this type, not an exit code.</summary>
internal sealed class FolderBusyException(string message) : UserErrorException(ExitCodes.InvalidArguments, message);
