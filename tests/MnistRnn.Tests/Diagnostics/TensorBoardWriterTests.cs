using MnistRnn.Diagnostics;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Diagnostics;

[Category("Unit")]
public sealed class TensorBoardWriterTests
{
    // TensorBoard's record format: length (8 bytes), its CRC (4), the event, its CRC (4).
    private static IEnumerable<byte[]> Records(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        for (int at = 0; at < bytes.Length;)
        {
            long length = BitConverter.ToInt64(bytes, at);
            yield return bytes[(at + 12)..(at + 12 + (int)length)];
            at += 12 + (int)length + 4;
        }
    }

    [Test]
    public void Writes_scalars_every_step_and_histograms_on_logged_steps_into_an_event_file()
    {
        using var folder = new TempFolder();
        using var model = new RecurrentClassifier(CellKind.Rnn, inputSize: 4, hiddenSize: 8, classes: 10);
        var writer = new TensorBoardWriter(folder.Path, model);
        var state = new StateStatistics(0.01, 0.2, -0.1, 0.3, 0.05);

        writer.Write(new StepMetrics(1, 0, 2.3, 0.1, CellKind.Rnn, 1.5, false, TimeSpan.Zero, null));
        writer.Write(new StepMetrics(2, 0, 2.2, 0.2, CellKind.Rnn, 1.4, false, TimeSpan.Zero, state));

        string file = Directory.GetFiles(folder.Path).Single();
        Assert.That(Path.GetFileName(file), Does.StartWith("events.out.tfevents."));
        var records = Records(file).Select(r => System.Text.Encoding.Latin1.GetString(r)).ToList();
        Assert.That(records.Count(r => r.Contains("train/loss")), Is.EqualTo(2));
        Assert.That(records.Count(r => r.Contains("state/saturation")), Is.EqualTo(1));
        Assert.That(records.Count(r => r.Contains("weights/recurrent.weight_hh_l0")), Is.EqualTo(1));
    }
}
