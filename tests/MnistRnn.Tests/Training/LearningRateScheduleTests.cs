using MnistRnn.Training;

namespace MnistRnn.Tests.Training;

[Category("Unit")]
public sealed class LearningRateScheduleTests
{
    [Test]
    public void Constant_is_the_peak_at_every_step() =>
        Assert.That(Enumerable.Range(1, 5).Select(s => LearningRateSchedule.Constant.At(s, 5, 0.01)), Is.All.EqualTo(0.01));

    [Test]
    public void Cosine_warms_up_linearly_then_decays_to_its_final_fraction()
    {
        var schedule = LearningRateSchedule.Cosine(warmupSteps: 10, finalFraction: 0.1);

        Assert.That(schedule.At(1, 110, 1.0), Is.EqualTo(0.1).Within(1e-12));
        Assert.That(schedule.At(5, 110, 1.0), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(schedule.At(10, 110, 1.0), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(schedule.At(60, 110, 1.0), Is.EqualTo(0.55).Within(1e-12), "half way: the mean of peak and final");
        Assert.That(schedule.At(110, 110, 1.0), Is.EqualTo(0.1).Within(1e-12));
        var rates = Enumerable.Range(10, 101).Select(s => schedule.At(s, 110, 1.0)).ToArray();
        Assert.That(rates.Zip(rates.Skip(1)).All(p => p.Second <= p.First), Is.True, "never rises after the warm-up");
    }

    [Test]
    public void A_warmup_longer_than_training_is_an_invalid_option() =>
        Assert.That(new TrainingOptions { Steps = 5, Schedule = LearningRateSchedule.Cosine(10) }.Problems().Select(p => p.Property),
            Is.EqualTo(new[] { nameof(TrainingOptions.Schedule) }));

    [Test]
    public void The_trainer_sets_the_scheduled_rate_before_each_step()
    {
        // Through a checkpoint's round trip too: the schedule is part of the options it stores.
        var options = new TrainingOptions { Steps = 4, Schedule = LearningRateSchedule.Cosine(2, 0.5) };

        Assert.That(options.Schedule.At(2, 4, options.LearningRate), Is.EqualTo(options.LearningRate));
        Assert.That(options.Schedule.ToString(), Is.EqualTo("cosine, warm-up 2, final 0.5"));
    }
}
