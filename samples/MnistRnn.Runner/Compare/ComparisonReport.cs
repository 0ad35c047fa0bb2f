using MnistRnn.IO;
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
        if (runs.Any(r => r.Training.BestValidation is not null))
        {
            text.AppendLine($"![validation]({ComparisonPlots.ValidationFile})");
            text.AppendLine();
            foreach (var run in runs.Where(r => r.Training.BestValidation is not null))
            {
                var best = run.Training.BestValidation!;
                string ended = run.Training.StoppedEarly ? $"stopped early after step {run.Training.LastStepNumber}" : $"ran all {run.Training.LastStepNumber} steps";
                text.AppendLine($"- {run.Spec.Label}: best validation at step {best.Step} (loss {best.Loss:F5}, accuracy {best.Accuracy:F5}); {ended}; " +
                    $"the test figures are of step {run.Training.WeightsFromStep}'s weights.");
            }
        }
        text.AppendLine();
        text.AppendLine("Per-run step metrics: `runs/<run>/metrics.csv` and `metrics.jsonl`; dLoss/dh_t before and after training: `runs/<run>/gradient-flow.csv`; validations: `runs/<run>/validation.csv`.");
        return text.ToString();
    }
}
