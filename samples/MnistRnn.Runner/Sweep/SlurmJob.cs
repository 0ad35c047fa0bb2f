using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MnistRnn.Runner.Platform;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// A sweep as a Slurm job array: <c>DIR/sweep.sbatch</c>, one array task per trial still to run, each running
/// <c>mnist-rnn sweep --out DIR --trial $SLURM_ARRAY_TASK_ID</c>, submitted with <c>sbatch</c>. A task that is requeued or
/// preempted is sent SIGTERM, checkpoints, and resumes from that checkpoint when it runs again.
/// </summary>
internal static partial class SlurmJob
{
    public const string ScriptName = "sweep.sbatch";

    /// <summary>What the job asks of the cluster beyond the plan.</summary>
    /// <param name="Parallel">At most this many tasks at once (<c>%K</c>); null: as many as the cluster gives.</param>
    /// <param name="Partition">The partition; null: the cluster's default.</param>
    /// <param name="TimeLimit">Each task's time limit, in a form sbatch reads.</param>
    /// <param name="Gpu">Whether each task needs a GPU (<c>--gres=gpu:1</c>).</param>
    public sealed record Request(int? Parallel, string? Partition, string TimeLimit, bool Gpu);

    /// <summary>Whether <paramref name="text"/> is a time limit sbatch reads: <c>MM</c>, <c>MM:SS</c>, <c>HH:MM:SS</c>, <c>D-HH</c>, <c>D-HH:MM</c> or <c>D-HH:MM:SS</c>.</summary>
    public static bool IsTimeLimit(string text) => TimeLimitPattern().IsMatch(text);

    [GeneratedRegex(@"^(\d{1,3}-\d{1,2}(:\d{1,2}){0,2}|\d{1,6}(:\d{1,2}){0,2})$")]
    private static partial Regex TimeLimitPattern();

    /// <summary>Whether <paramref name="text"/> is a partition name, or a comma-separated list of them, as Slurm names them.</summary>
    public static bool IsPartition(string text) => PartitionPattern().IsMatch(text);

    [GeneratedRegex(@"^[A-Za-z0-9_.-]{1,64}(,[A-Za-z0-9_.-]{1,64}){0,15}$")]
    private static partial Regex PartitionPattern();

    /// <summary>
    /// Checks every value the script will hold, before anything is written: no control characters anywhere, no double quote
    /// in what an <c>#SBATCH</c> line carries, and a partition that is a partition's name.
    /// </summary>
    /// <exception cref="UserErrorException">One fails; the message names its flag (exit 2).</exception>
    public static void EnsureScriptable(string sweepFolder, string dataFolder, string? partition)
    {
        ShellWord.Checked(sweepFolder, "--out");
        ShellWord.Checked(dataFolder, "--data");
        var (program, prefix) = RunnerLaunch.Command();
        foreach (string word in prefix.Prepend(program)) ShellWord.Checked(word, "the runner's own path");
        if (partition is not null && !IsPartition(ShellWord.Checked(partition, "--partition")))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--partition: '{partition}' is not a partition name (letters, digits, '_', '.' and '-', several separated by commas).");
        if (sweepFolder.Contains('"'))
            throw new UserErrorException(ExitCodes.InvalidArguments, $"--out: {sweepFolder} holds a double quote, which an #SBATCH line cannot carry; choose a folder without.");
    }

    /// <summary>
    /// The batch script for <paramref name="trials"/> of <paramref name="plan"/>. Every value in it is checked
    /// (<see cref="EnsureScriptable"/>) and quoted: in the command with a shell's single quotes, in <c>#SBATCH</c> lines with
    /// the double quotes sbatch reads there.
    /// </summary>
    /// <exception cref="UserErrorException">A value cannot be written into a script (exit 2).</exception>
    public static string Script(string sweepFolder, SweepPlan plan, IReadOnlyList<int> trials, Request request, string dataFolder, string allocator)
    {
        EnsureScriptable(sweepFolder, dataFolder, request.Partition);
        int cpus = plan.Trials.Where(t => trials.Contains(t.Number)).Max(t => t.Threads);
        string output = Path.Combine(sweepFolder, "trials", $"%{plan.FolderNameWidth}a", "slurm-%A_%a.out");
        string[] command = RunnerLaunch.TrialCommand(cpus, allocator, sweepFolder, dataFolder, trial: null);
        var script = new StringBuilder();
        script.AppendLine("#!/bin/bash");
        script.AppendLine("# Written by mnist-rnn sweep --on slurm: one array task per trial still to run. Each trial computes with the");
        script.AppendLine("# threads its plan gives; a requeued or preempted task resumes its trial from the trial's last checkpoint.");
        script.AppendLine("#SBATCH --job-name=mnist-rnn-sweep");
        script.AppendLine($"#SBATCH --array={Ranges(trials)}{(request.Parallel is int k ? $"%{k}" : "")}");
        script.AppendLine($"#SBATCH --cpus-per-task={cpus}");
        script.AppendLine("#SBATCH --ntasks=1");
        script.AppendLine($"#SBATCH --time={request.TimeLimit}");
        script.AppendLine($"#SBATCH --output=\"{output}\"");
        script.AppendLine("#SBATCH --requeue");
        // Two minutes before the time limit: the run finishes its step and checkpoints, and a resubmission resumes it.
        script.AppendLine("#SBATCH --signal=B:TERM@120");
        if (request.Partition is not null) script.AppendLine($"#SBATCH --partition={request.Partition}");
        if (request.Gpu) script.AppendLine("#SBATCH --gres=gpu:1");
        script.AppendLine($"exec {string.Join(' ', command.Select(ShellWord.Quoted))} --trial \"$SLURM_ARRAY_TASK_ID\"");
        return script.ToString();
    }

    /// <summary>How long sbatch may take to answer: a controller that is down makes it retry for minutes. Tests shorten it.</summary>
    internal static TimeSpan SubmitTimeout { get; set; } = TimeSpan.FromSeconds(60);

    // sbatch --parsable answers "JOBID" or "JOBID;CLUSTER"; nothing longer is an answer.
    private const int MaxAnswerChars = 256;

    [GeneratedRegex(@"^[0-9]{1,20}(;[A-Za-z0-9_.-]{1,64})?$")]
    private static partial Regex JobAnswerPattern();

    /// <summary>Submits <paramref name="script"/> with <c>sbatch</c> from <paramref name="folder"/>; returns the job's id.</summary>
    /// <exception cref="UserErrorException">
    /// sbatch is missing, refuses the job, does not answer within <see cref="SubmitTimeout"/>, or answers something that is not a
    /// job id; the message says which (exit 10).
    /// </exception>
    public static string Submit(string script, string folder)
    {
        var start = new ProcessStartInfo("sbatch") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--parsable");
        start.ArgumentList.Add(script);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception)
        {
            throw new UserErrorException(ExitCodes.SchedulerRefused,
                $"--on slurm: sbatch was not found on PATH; run this on a Slurm login node, or submit {script} there yourself.");
        }
        using (process)
        {
            var output = ReadBounded(process.StandardOutput);
            var error = ReadBounded(process.StandardError);
            if (!process.WaitForExit(SubmitTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new UserErrorException(ExitCodes.SchedulerRefused,
                    $"--on slurm: sbatch did not answer within {SubmitTimeout.TotalSeconds:F0} s (is the Slurm controller up? sinfo tells); the job may or may not " +
                    $"have been submitted, so check with squeue before submitting {script} again.");
            }
            // A child of sbatch's that keeps its output open must not hang the sweep either.
            Task.WaitAll([output, error], TimeSpan.FromSeconds(5));
            string answer = output.IsCompleted ? output.Result.Trim() : "";
            if (process.ExitCode != 0)
                throw new UserErrorException(ExitCodes.SchedulerRefused, $"--on slurm: sbatch refused {script}: {Printable((error.IsCompleted ? error.Result : "").Trim().Split('\n')[0])}");
            if (!JobAnswerPattern().IsMatch(answer))
                throw new UserErrorException(ExitCodes.SchedulerRefused,
                    $"--on slurm: sbatch answered '{Printable(answer)}', which is not a job id; check with squeue whether {script} was submitted.");
            return answer.Split(';')[0];
        }
    }

    // At most MaxAnswerChars of a stream, the rest drained unread so the process is never blocked writing.
    private static async Task<string> ReadBounded(StreamReader reader)
    {
        var kept = new StringBuilder();
        char[] buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
            if (kept.Length < MaxAnswerChars) kept.Append(buffer, 0, Math.Min(read, MaxAnswerChars - kept.Length));
        return kept.ToString();
    }

    // What a program printed, as one printable line: control characters (escape codes) shown as '?', and cut short.
    private static string Printable(string text) =>
        string.Concat(text.Take(120).Select(c => char.IsControl(c) ? '?' : c)) + (text.Length > 120 ? "..." : "");

    // 0-3,5,7-9: what --array reads.
    private static string Ranges(IReadOnlyList<int> numbers)
    {
        var parts = new List<string>();
        for (int i = 0; i < numbers.Count;)
        {
            int j = i;
            while (j + 1 < numbers.Count && numbers[j + 1] == numbers[j] + 1) j++;
            parts.Add(i == j ? $"{numbers[i]}" : $"{numbers[i]}-{numbers[j]}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }
}
