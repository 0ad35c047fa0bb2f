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
        foreach (var run in runs.Where(r => r.Summary.StalledAtStep is not null))
            text.AppendLine($"- {run.Spec.Label} stalled at step {run.Summary.StalledAtStep}: {run.Summary.StallAdvice}.");
        text.AppendLine();
        foreach (string file in ComparisonPlots.Files)
            text.AppendLine($"![{Path.GetFileNameWithoutExtension(file)}]({file})");
        if (runs.Any(r => r.Summary.BestValidation is not null))
        {
            text.AppendLine($"![validation]({ComparisonPlots.ValidationFile})");
            text.AppendLine();
            foreach (var run in runs.Where(r => r.Summary.BestValidation is not null))
            {
                var best = run.Summary.BestValidation!;
                string ended = run.Summary.StoppedEarlyAfterStep is int after ? $"stopped early after step {after}" : $"ran all {run.LastStepNumber} steps";
                text.AppendLine($"- {run.Spec.Label}: best validation at step {best.Step} (loss {best.Loss:F5}, accuracy {best.Accuracy:F5}); {ended}; " +
                    $"the test figures are of step {run.Summary.WeightsFromStep}'s weights.");
            }
        }
        text.AppendLine();
        text.AppendLine("Each run is a trial of this folder's plan.json, trained as `train --config` its config.json: " +
            string.Join(", ", runs.Select(run => $"{run.Spec.Label} in `{run.Folder}`")) + ". " +
            "Its `metrics/` holds metrics.csv and metrics.jsonl (every step), gradient-flow.csv (dLoss/dh_t before and after training), " +
            "validation.csv (with validation) and hidden-state.csv; beside them are its train.log, summary.json and checkpoints.");
        return text.ToString();
    }
}
