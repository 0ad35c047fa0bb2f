using System.Diagnostics;
using MnistRnn.Runner.Platform;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// Runs a sweep's trials on this machine, each in a process of its own (<c>mnist-rnn sweep --trial N</c>, as a Slurm job runs
/// it), since libtorch's thread count belongs to a process: at most <c>parallel</c> at once, and never more threads in all
/// than the machine's cores, so no trial waits on another's.
/// </summary>
internal static class LocalWorkers
{
    /// <summary>Runs <paramref name="trials"/> and returns when every worker has ended; each worker's lines go to <paramref name="report"/>.</summary>
    public static async Task RunAsync(IReadOnlyList<TrialFolder> trials, int parallel, int cores, string sweepFolder, string dataFolder,
        string allocator, TextWriter report, CancellationToken cancellationToken)
    {
        var waiting = new List<TrialFolder>(trials);
        var running = new Dictionary<Task, (Process Process, int Threads)>();
        var gate = new Lock();
        // An interrupted sweep asks its workers to stop as train stops: each finishes its step and checkpoints.
        using var stop = cancellationToken.Register(() =>
        {
            lock (gate)
                foreach (var (process, _) in running.Values) TerminationSignal.Send(process.Id);
        });
        int threadsInUse = 0;
        while (waiting.Count > 0 || running.Count > 0)
        {
            // The first waiting trial whose threads fit beside the running ones; the first of all when none runs.
            while (!cancellationToken.IsCancellationRequested && running.Count < parallel
                && waiting.FirstOrDefault(t => running.Count == 0 || threadsInUse + t.Trial.Threads <= cores) is { } folder)
            {
                waiting.Remove(folder);
                var process = Start(RunnerLaunch.TrialCommand(folder.Trial.Threads, allocator, sweepFolder, dataFolder, folder.Trial.Number), report);
                lock (gate) running.Add(process.WaitForExitAsync(CancellationToken.None), (process, folder.Trial.Threads));
                threadsInUse += folder.Trial.Threads;
            }
            if (running.Count == 0) break;
            var ended = await Task.WhenAny(running.Keys);
            lock (gate)
            {
                var (process, threads) = running[ended];
                running.Remove(ended);
                threadsInUse -= threads;
                process.WaitForExit(); // the last lines of its output
                process.Dispose();
            }
        }
    }

    private static Process Start(string[] command, TextWriter report)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in command.Skip(1)) start.ArgumentList.Add(arg);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => { if (line.Data is { Length: > 0 }) report.WriteLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { Length: > 0 }) report.WriteLine(line.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
