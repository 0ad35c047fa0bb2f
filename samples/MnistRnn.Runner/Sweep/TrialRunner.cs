using System.Diagnostics;
using System.Globalization;
using MnistRnn.Checkpoints;
using MnistRnn.Runner.Output;
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

    /// <summary>
    /// Runs <paramref name="folder"/>'s trial unless it is final or another worker holds it; one line about it goes to <paramref name="report"/>.
    /// <paramref name="writeMetrics"/> adds <c>train --metrics</c> into the trial's <see cref="TrialFolder.Metrics"/>, and
    /// <paramref name="logDir"/> <c>--logdir</c> (compare's trials); what train prints goes to the trial's log and, given,
    /// to <paramref name="echo"/>'s standard output too, with a progress line where it is a terminal.
    /// </summary>
    public static async Task<Outcome> RunAsync(TrialFolder folder, string dataFolder, string allocator, TextWriter report, CancellationToken cancellationToken,
        bool writeMetrics = false, string? logDir = null, RunnerConsole? echo = null)
    {
        var trial = folder.Trial;
        folder.EnsureOwnFolder();
        FolderLock claim;
        try
        {
            claim = FolderLock.Acquire(folder.Path, "--trial");
        }
        catch (FolderBusyException)
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
            // Its config is what it trains; one that no longer matches the plan's row would put another run under that row.
            if (folder.ConfigDifference() is { } difference)
                return Record(folder, report, new TrialResult(trial.Number, TrialResult.Failed, ExitCodes.InvalidData,
                    $"{folder.Config} no longer matches the plan ({difference}); delete it and the next sweep writes it again from the plan", 0, trial.Threads, SeedStudy.ThisMachine));
            // A crash after train wrote its summary but before this wrote the result leaves a finished trial: record it.
            if (RunSummary.Read(folder.Summary) is { } written)
                return Record(folder, report, new TrialResult(trial.Number, double.IsFinite(written.TestLoss) ? TrialResult.Finished : TrialResult.Diverged,
                    ExitCodes.Success, "recovered from its summary", 0, trial.Threads, SeedStudy.ThisMachine));
            try
            {
                // A metrics folder holds a run from its first step, so such a trial trains again from its start rather than resuming.
                if (writeMetrics) StartAfresh(folder);
                SetAsideFinishedCheckpoints(folder);
            }
            catch (Exception e) when (FileErrors.Refused(e))
            {
                return Record(folder, report, new TrialResult(trial.Number, TrialResult.Failed, ExitCodes.OutputNotWritable,
                    $"--out: cannot clear the unfinished run in {folder.Path} ({e.Message})", 0, trial.Threads, SeedStudy.ThisMachine));
            }
            bool resuming = CheckpointStore.List(folder.Checkpoints).Count > 0;
            string[] args =
            [
                "--threads", trial.Threads.ToString(CultureInfo.InvariantCulture), "--allocator", allocator, "train",
                .. resuming ? (string[])["--resume", folder.Checkpoints] : ["--config", folder.Config, "--out", folder.Checkpoints],
                "--summary", folder.Summary, "--data", dataFolder,
                .. writeMetrics ? (string[])["--metrics", folder.Metrics] : [], .. logDir is null ? (string[])[] : ["--logdir", logDir],
            ];
            var clock = Stopwatch.StartNew();
            int exitCode;
            string? message;
            StreamWriter opened;
            try
            {
                opened = OpenLog(folder);
            }
            catch (UserErrorException e)
            {
                return Record(folder, report, new TrialResult(trial.Number, TrialResult.Failed, e.ExitCode, e.Message, 0, trial.Threads, SeedStudy.ThisMachine));
            }
            using (var log = opened)
            {
                log.WriteLine($"== {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z {(resuming ? "resuming" : "starting")} {trial}: mnist-rnn {string.Join(' ', args)}");
                var errors = new LastLineWriter(log);
                exitCode = await RunnerApp.RunNestedAsync(args, echo is null ? log : new TeeWriter(log, echo.Out), errors, echo?.ProgressTo, cancellationToken);
                message = errors.LastLine;
            }
            if (exitCode == ExitCodes.Canceled)
            {
                report.WriteLine(writeMetrics ? $"{trial}: interrupted; it trains again from its start next time"
                    : CheckpointStore.List(folder.Checkpoints).Count > 0
                    ? $"{trial}: interrupted; the next sweep resumes it from its checkpoint"
                    : $"{trial}: interrupted before its first checkpoint; the next sweep starts it again");
                return Outcome.Interrupted;
            }
            string status = exitCode switch
            {
                ExitCodes.Success => TrialResult.Finished,
                ExitCodes.Diverged => TrialResult.Diverged,
                _ => TrialResult.Failed,
            };
            return Record(folder, report, new TrialResult(trial.Number, status, exitCode, exitCode == ExitCodes.Success ? null : message,
                Math.Round(clock.Elapsed.TotalSeconds, 1), trial.Threads, SeedStudy.ThisMachine));
        }
    }

    private static Outcome Record(TrialFolder folder, TextWriter report, TrialResult result)
    {
        JsonOutput.Write(folder.Result, result, "--out");
        report.WriteLine($"{folder.Trial}: {Describe(result, folder)}");
        return result.IsFinal ? Outcome.Final : Outcome.Failed;
    }

    private static void StartAfresh(TrialFolder folder)
    {
        foreach (string path in new[] { folder.Checkpoints, folder.Metrics })
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }

    // A crash after the last step's checkpoint but before the summary leaves a run that train will not resume (nothing is
    // left to train) and no figures: its checkpoints go aside, kept, and the trial trains again to the same weights.
    private static void SetAsideFinishedCheckpoints(TrialFolder folder)
    {
        var checkpoints = CheckpointStore.List(folder.Checkpoints);
        if (checkpoints.Count == 0 || folder.Trial.Settings["steps"]?.GetValue<int>() is not int steps || CheckpointStore.StepOf(checkpoints[0]) < steps) return;
        string aside = $"{folder.Checkpoints}.unfinished-{DateTime.UtcNow:yyyyMMddHHmmss}";
        Directory.Move(folder.Checkpoints, aside);
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
        TrialResult.Finished => RunSummary.Read(folder.Summary) is { } summary
            ? $"finished, test accuracy {summary.TestAccuracy.ToString("F4", CultureInfo.InvariantCulture)}, {summary.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture)} s of training"
            : "finished",
        TrialResult.Diverged => $"diverged ({result.Message})",
        _ => $"failed with exit code {result.ExitCode}: {result.Message}; see {folder.Log}",
    };

    // Standard output to the trial's log and a console at once.
    private sealed class TeeWriter(TextWriter log, TextWriter echo) : TextWriter
    {
        public override System.Text.Encoding Encoding => log.Encoding;

        public override void Write(char value)
        {
            log.Write(value);
            echo.Write(value);
        }

        public override void Write(string? value)
        {
            log.Write(value);
            echo.Write(value);
        }
    }

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
