using System.Text.Json;
using MnistRnn.Diagnostics;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;

namespace MnistRnn.Tests.Diagnostics;

[Category("Unit")]
public sealed class MetricsWriterTests
{
    [Test]
    public void Writes_every_step_as_a_csv_row_and_a_json_line()
    {
        using var folder = new TempFolder();
        var logged = new StepMetrics(2, 0, 0.5, 0.75, CellKind.Lstm, 3.25, true, TimeSpan.FromSeconds(1.5), new StateStatistics(0.01, 0.2, -0.1, 0.3, 0.05));
        var plain = new StepMetrics(3, 1, double.NaN, 0.5, CellKind.Lstm, double.PositiveInfinity, false, TimeSpan.FromSeconds(2), null);

        using (var writer = new MetricsWriter(Path.Combine(folder.Path, "run")))
        {
            writer.Write(logged);
            writer.Write(plain);
        }

        string[] csv = File.ReadAllLines(Path.Combine(folder.Path, "run", "metrics.csv"));
        Assert.That(csv[0].Split(','), Is.EqualTo(MetricsWriter.Columns));
        Assert.That(csv[1], Is.EqualTo("2,0,0.5,0.75,3.25,1,1.5,0.01,0.2,-0.1,0.3,0.05"));
        Assert.That(csv[2], Is.EqualTo("3,1,NaN,0.5,Infinity,0,2,,,,,"));
        string[] lines = File.ReadAllLines(Path.Combine(folder.Path, "run", "metrics.jsonl"));
        Assert.That(lines, Has.Length.EqualTo(2));
        using var first = JsonDocument.Parse(lines[0]);
        Assert.That(first.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(MetricsWriter.Columns));
        Assert.That(first.RootElement.GetProperty("saturation").GetDouble(), Is.EqualTo(0.05));
        using var second = JsonDocument.Parse(lines[1]);
        Assert.That(second.RootElement.GetProperty("loss").GetString(), Is.EqualTo("NaN"));
        Assert.That(second.RootElement.GetProperty("saturation").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }
}
