using MnistRnn.Runner.Platform;

namespace MnistRnn.Runner.Output;

/// <summary>
/// What a command wrote and the commands that use it next, on standard error when the command succeeds, so that
/// standard output stays the experiment's lines and a script reading it sees no change.
/// </summary>
internal static class NextSteps
{
    /// <summary>After <c>train</c>: the checkpoint it left, and how to evaluate, use and deploy it.</summary>
    public static void AfterTraining(TextWriter error, string? lastCheckpoint, string? bestCheckpoint, string folder)
    {
        if (lastCheckpoint is null) return;
        error.WriteLine(bestCheckpoint is null
            ? $"checkpoint: {Quoted(lastCheckpoint)}"
            : $"checkpoint: {Quoted(lastCheckpoint)}; the best validation's weights, which --checkpoint {Quoted(folder)} uses: {Quoted(bestCheckpoint)}");
        UsingTheModel(error, folder, evaluate: true);
    }

    /// <summary>After <c>eval</c>: how to use and deploy the model it evaluated.</summary>
    public static void AfterEvaluation(TextWriter error, string checkpoint) => UsingTheModel(error, checkpoint, evaluate: false);

    /// <summary>After <c>compare</c>: where the report is.</summary>
    public static void AfterComparison(TextWriter error, string folder) =>
        error.WriteLine($"next: read {Quoted(Path.Combine(folder, "report.md"))}; each run's files are in {Quoted(Path.Combine(folder, "trials"))}, in the order of --runs");

    private static void UsingTheModel(TextWriter error, string checkpoint, bool evaluate)
    {
        string source = "--checkpoint " + Quoted(checkpoint);
        var commands = new List<string>();
        if (evaluate) commands.Add($"mnist-rnn eval {source}");
        commands.Add($"mnist-rnn predict {source} IMAGE.png");
        commands.Add($"mnist-rnn export {source} --out model.onnx");
        // One command a line, each ready to paste.
        for (int i = 0; i < commands.Count; i++) error.WriteLine((i == 0 ? "next: " : "      ") + commands[i]);
    }

    // A path as the user would type it here (relative to the current folder when inside it), quoted for a shell.
    private static string Quoted(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return ShellWord.Quoted(relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative);
    }
}
