using System.Diagnostics;
using System.Globalization;
using MnistRnn.Checkpoints;
using MnistRnn.Studies;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// Runs one trial in this process, as <c>train</c> would run it from the command line: its config file, its thread count,
/// its checkpoint folder, its summary. The trial's folder is locked while it runs, so two workers on one sweep folder never
/// run the same trial; a trial with checkpoints resumes from the newest, so an interrupted or requeued trial ends as an
/// uninterrupted one would.
/// </summary>
internal static class TrialRunner
{
    /// <summary>What became of an attempt to run a trial.</summary>
    public enum Outcome
    {
        /// <summary>It ran to a final result (finished or diverged), now or before.</summary>
        Final,

        /// <summary>It ran and failed; the next sweep tries it again.</summary>
        Failed,

        /// <summary>Another worker holds it.</summary>
        Busy,

        /// <summary>It was interrupted after saving what it could; the next sweep resumes it.</summary>
        Interrupted,
    }

    /// <summary>Runs <paramref name="folder"/>'s trial unless it is final or another worker holds it; one line about it goes to <paramref name="report"/>.</summary>
    public static async Task<Outcome> RunAsync(TrialFolder folder, string dataFolder, string allocator, TextWriter report, CancellationToken cancellationToken)
    {
        var trial = folder.Trial;
        FolderLock claim;
        try
        {
            claim = FolderLock.Acquire(folder.Path, "--trial");
        }
        catch (UserErrorException e) when (e.ExitCode == ExitCodes.InvalidArguments)
        {
            report.WriteLine($"{trial}: another worker is running it");
            return Outcome.Busy;
        }
        using (claim)
        {
            // Read again under the lock: another worker may have finished it since it was planned.
            if (folder.ReadResult() is { IsFinal: true } done)
            {
                report.WriteLine($"{trial}: {Describe(done, folder)} (before)");
                return Outcome.Final;
            }
            bool resuming = CheckpointStore.List(folder.Checkpoints).Count > 0;
            string[] args =
            [
                "--threads", trial.Threads.ToString(CultureInfo.InvariantCulture), "--allocator", allocator, "train",
                .. resuming ? (string[])["--resume", folder.Checkpoints] : ["--config", folder.Config, "--out", folder.Checkpoints],
                "--summary", folder.Summary, "--data", dataFolder,
            ];
            var clock = Stopwatch.StartNew();
            int exitCode;
            string? message;
            using (var log = OpenLog(folder))
            {
                log.WriteLine($"== {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z {(resuming ? "resuming" : "starting")} {trial}: mnist-rnn {string.Join(' ', args)}");
                var errors = new LastLineWriter(log);
                exitCode = await RunnerApp.RunNestedAsync(args, log, errors, cancellationToken);
                message = errors.LastLine;
            }
            if (exitCode == ExitCodes.Canceled)
            {
                report.WriteLine($"{trial}: interrupted; the next sweep resumes it from its checkpoint");
                return Outcome.Interrupted;
            }
            string status = exitCode switch
            {
                ExitCodes.Success => TrialResult.Finished,
                ExitCodes.Diverged => TrialResult.Diverged,
                _ => TrialResult.Failed,
            };
            var result = new TrialResult(trial.Number, status, exitCode, exitCode == ExitCodes.Success ? null : message,
                Math.Round(clock.Elapsed.TotalSeconds, 1), trial.Threads, SeedStudy.ThisMachine);
            JsonOutput.Write(folder.Result, result, "--out");
            report.WriteLine($"{trial}: {Describe(result, folder)}");
            return result.IsFinal ? Outcome.Final : Outcome.Failed;
        }
    }

    private static StreamWriter OpenLog(TrialFolder folder)
    {
        try
        {
            return new StreamWriter(folder.Log, append: true) { AutoFlush = true };
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--out: cannot write {folder.Log} ({e.Message}).");
        }
    }

    private static string Describe(TrialResult result, TrialFolder folder) => result.Status switch
    {
        TrialResult.Finished => TrialSummary.Read(folder.Summary) is { } summary
            ? $"finished, test accuracy {summary.TestAccuracy?.ToString("F4", CultureInfo.InvariantCulture) ?? "none"}, {summary.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture)} s of training"
            : "finished",
        TrialResult.Diverged => $"diverged ({result.Message})",
        _ => $"failed with exit code {result.ExitCode}: {result.Message}; see {folder.Log}",
    };

    // Standard error, passed on to the trial's log; its last line is the sentence of a failure.
    private sealed class LastLineWriter(TextWriter log) : TextWriter
    {
        public string? LastLine { get; private set; }

        public override System.Text.Encoding Encoding => log.Encoding;

        public override void Write(char value) => log.Write(value);

        public override void Write(string? value) => log.Write(value);

        public override void WriteLine(string? value)
        {
            log.WriteLine(value);
            if (!string.IsNullOrWhiteSpace(value)) LastLine = value.Split('\n')[0].TrimEnd();
        }
    }
}
