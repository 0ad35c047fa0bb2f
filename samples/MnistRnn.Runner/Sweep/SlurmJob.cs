using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
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

    /// <summary>The batch script for <paramref name="trials"/> of <paramref name="plan"/>.</summary>
    public static string Script(string sweepFolder, SweepPlan plan, IReadOnlyList<int> trials, Request request, string dataFolder, string allocator)
    {
        int cpus = plan.Trials.Where(t => trials.Contains(t.Number)).Max(t => t.Threads);
        var (program, prefix) = RunnerLaunch.Command();
        string[] command =
        [
            program, .. prefix, "--threads", cpus.ToString(CultureInfo.InvariantCulture), "--allocator", allocator,
            "sweep", "--out", sweepFolder, "--data", dataFolder,
        ];
        var script = new StringBuilder();
        script.AppendLine("#!/bin/bash");
        script.AppendLine("# Written by mnist-rnn sweep --on slurm: one array task per trial still to run. Each trial computes with the");
        script.AppendLine("# threads its plan gives; a requeued or preempted task resumes its trial from the trial's last checkpoint.");
        script.AppendLine("#SBATCH --job-name=mnist-rnn-sweep");
        script.AppendLine($"#SBATCH --array={Ranges(trials)}{(request.Parallel is int k ? $"%{k}" : "")}");
        script.AppendLine($"#SBATCH --cpus-per-task={cpus}");
        script.AppendLine("#SBATCH --ntasks=1");
        script.AppendLine($"#SBATCH --time={request.TimeLimit}");
        script.AppendLine($"#SBATCH --output={Path.Combine(sweepFolder, "trials", $"%{plan.FolderNameWidth}a", "slurm-%A_%a.out")}");
        script.AppendLine("#SBATCH --requeue");
        // Two minutes before the time limit: the run finishes its step and checkpoints, and a resubmission resumes it.
        script.AppendLine("#SBATCH --signal=B:TERM@120");
        if (request.Partition is not null) script.AppendLine($"#SBATCH --partition={request.Partition}");
        if (request.Gpu) script.AppendLine("#SBATCH --gres=gpu:1");
        script.AppendLine($"exec {string.Join(' ', command.Select(Quoted))} --trial \"$SLURM_ARRAY_TASK_ID\"");
        return script.ToString();
    }

    /// <summary>Submits <paramref name="script"/> with <c>sbatch</c> from <paramref name="folder"/>; returns the job's id.</summary>
    /// <exception cref="UserErrorException">sbatch is missing or refuses the job; the message quotes it (exit 10).</exception>
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
            var output = process.StandardOutput.ReadToEndAsync();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            string id = output.Result.Trim().Split(';')[0];
            if (process.ExitCode != 0 || id.Length == 0)
                throw new UserErrorException(ExitCodes.SchedulerRefused,
                    $"--on slurm: sbatch refused {script}: {error.Trim().Split('\n')[0]}");
            return id;
        }
    }

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

    private static string Quoted(string word) => $"'{word.Replace("'", "'\\''")}'";
}
