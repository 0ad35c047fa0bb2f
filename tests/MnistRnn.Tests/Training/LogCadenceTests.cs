using MnistRnn.Training;

namespace MnistRnn.Tests.Training;

[Category("Unit")]
public sealed class LogCadenceTests
{
    private static int[] LoggedSteps(LogCadence cadence, int lastStep) =>
        Enumerable.Range(1, lastStep).Where(step => cadence.ShouldLog(step, lastStep)).ToArray();

    [Test]
    public void The_experiments_cadence_is_every_100_to_1500_then_every_1000()
    {
        int[] expected = [.. Enumerable.Range(1, 15).Select(i => i * 100), 2000, 3000, 4000, 5000];

        Assert.That(LoggedSteps(LogCadence.Experiment, 5000), Is.EqualTo(expected));
    }

    [Test]
    public void A_fixed_interval_also_logs_the_last_step() =>
        Assert.That(LoggedSteps(LogCadence.EveryNSteps(4), 10), Is.EqualTo(new[] { 4, 8, 10 }));
}
