using System.Text;
using MnistRnn.Data;
using MnistRnn.Training;

namespace MnistRnn.Runner.Compare;

/// <summary>The report folder of <c>compare</c>: report.md, report.csv and the figures.</summary>
internal sealed class ComparisonReport(IReadOnlyList<RunOutcome> runs, TrainingOptions shared, string dataFolder)
{
    public ComparisonTable Table { get; } = new(runs);

    /// <summary>Writes every file into <paramref name="folder"/>.</summary>
    public void WriteTo(string folder)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, "report.csv"), Table.ToCsv());
        ComparisonPlots.Write(folder, runs);
        AtomicFile.WriteAllText(Path.Combine(folder, "report.md"), Markdown());
    }

    private string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine("# mnist-rnn compare");
        text.AppendLine();
        text.AppendLine($"{shared.Steps} steps of batch {shared.BatchSize}, hidden {shared.HiddenSize}, seed {shared.Seed}, " +
            $"{shared.Order.ToName()} order, data {dataFolder}. Test figures are on the full test set; " +
            $"\"step to 0.9\" is the first step whose training batch reached accuracy {RunOutcome.LearnedAccuracy}; " +
            "gradient norms are before clipping; saturation is the fraction of flat nonlinearities at the last step.");
        text.AppendLine();
        text.Append(Table.ToMarkdown());
        text.AppendLine();
        foreach (var run in runs.Where(r => r.Stall is not null))
            text.AppendLine($"- {run.Spec.Label} stalled at step {run.Stall!.Step}: {run.Stall.Advice}.");
        text.AppendLine();
        foreach (string file in ComparisonPlots.Files)
            text.AppendLine($"![{Path.GetFileNameWithoutExtension(file)}]({file})");
        text.AppendLine();
        text.AppendLine("Per-run step metrics: `runs/<run>/metrics.csv` and `metrics.jsonl`; dLoss/dh_t before and after training: `runs/<run>/gradient-flow.csv`.");
        return text.ToString();
    }
}
