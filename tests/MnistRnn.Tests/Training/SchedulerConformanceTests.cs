using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;
using Scheduler = TorchSharp.torch.optim.lr_scheduler.LRScheduler;

namespace MnistRnn.Tests.Training;

/// <summary>
/// Every TorchSharp learning-rate scheduler, with its defaults, drives <see cref="AdamOptimizer"/> as it drives
/// TorchSharp's own Adam: the same learning rate and betas before every step and the same weights after it.
/// </summary>
[Category("Unit")]
public sealed class SchedulerConformanceTests
{
    private const int Steps = 30;

    private static readonly (string Name, Func<optim.Optimizer, Scheduler> Create)[] WithTheirDefaults =
    [
        ("StepLR", o => optim.lr_scheduler.StepLR(o, step_size: 7)),
        ("ExponentialLR", o => optim.lr_scheduler.ExponentialLR(o)),
        ("CosineAnnealingLR", o => optim.lr_scheduler.CosineAnnealingLR(o, T_max: Steps)),
        ("OneCycleLR", o => optim.lr_scheduler.OneCycleLR(o, max_lr: 0.02, total_steps: Steps)),
        ("OneCycleLR without momentum", o => optim.lr_scheduler.OneCycleLR(o, max_lr: 0.02, total_steps: Steps, cycle_momentum: false)),
        ("CyclicLR without momentum", o => optim.lr_scheduler.CyclicLR(o, base_lr: 0.001, max_lr: 0.02, step_size_up: 5, cycle_momentum: false)),
        ("ReduceLROnPlateau", o => optim.lr_scheduler.ReduceLROnPlateau(o, patience: 2)),
        ("LambdaLR", o => optim.lr_scheduler.LambdaLR(o, epoch => 1.0 / (1 + epoch))),
    ];

    // Both ways of driving the optimizer: the device-resident one keeps the betas on the device, so a change must reach it.
    public static IEnumerable<TestCaseData> Schedulers() =>
        from scheduler in WithTheirDefaults
        from execution in new[] { StepExecution.Synchronous, StepExecution.DeviceResident }
        select new TestCaseData(scheduler.Create, execution) { TestName = $"{{m}}({scheduler.Name}, {execution})" };

    [TestCaseSource(nameof(Schedulers))]
    public void A_scheduler_drives_it_as_it_drives_torchsharps_adam(Func<optim.Optimizer, Scheduler> create, StepExecution execution)
    {
        var (ours, theirs) = AdamOptimizerTests.TwinLayers();
        using (ours)
        using (theirs)
        using (var adam = new AdamOptimizer(ours.parameters(), learningRate: 0.01, execution))
        using (var reference = optim.Adam(theirs.parameters(), lr: 0.01))
        {
            var schedule = create(adam);
            var referenceSchedule = create(reference);
            using var generator = new Generator(3);
            using var input = randn([8, 6], generator: generator);
            using var target = randn([8, 3], generator: generator);
            var rates = new List<double>();
            for (int step = 0; step < Steps; step++)
            {
                using var scope = NewDisposeScope();
                Assert.That(adam.LearningRate, Is.EqualTo(reference.ParamGroups.First().LearningRate).Within(1e-15), $"learning rate before step {step + 1}");
                Assert.That(adam.Betas, Is.EqualTo(((optim.IBetas)reference.ParamGroups.First()).Betas), $"betas before step {step + 1}");
                rates.Add(adam.LearningRate);
                TrainStep(ours, adam, input, target);
                TrainStep(theirs, reference, input, target);
                if (schedule is optim.lr_scheduler.impl.ReduceLROnPlateau)
                {
                    // A metric on a plateau, so that the rate is cut (the training loss here only falls).
                    schedule.step(1.0);
                    referenceSchedule.step(1.0);
                }
                else
                {
                    schedule.step();
                    referenceSchedule.step();
                }
                Assert.That(ours.weight!.allclose(theirs.weight!, rtol: 1e-5, atol: 1e-7), Is.True, $"weights after step {step + 1}");
            }
            // The schedule changed the rate: a scheduler that did nothing would pass the comparisons trivially.
            Assert.That(rates.Distinct().Count(), Is.GreaterThan(1), "the learning rate never changed");
        }
    }

    [Test]
    public void CyclicLR_with_its_default_momentum_cycling_refuses_both_as_neither_has_momentum()
    {
        using var ours = nn.Linear(6, 3);
        using var theirs = nn.Linear(6, 3);
        using var adam = new AdamOptimizer(ours.parameters(), learningRate: 0.01);
        using var reference = optim.Adam(theirs.parameters(), lr: 0.01);

        var refusal = Assert.Throws<ArgumentException>(() => optim.lr_scheduler.CyclicLR(reference, 0.001, 0.02))!;
        var ourRefusal = Assert.Throws<ArgumentException>(() => optim.lr_scheduler.CyclicLR(adam, 0.001, 0.02))!;

        Assert.That(ourRefusal.Message, Is.EqualTo(refusal.Message));
    }

    private static void TrainStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor input, Tensor target)
    {
        optimizer.zero_grad();
        nn.functional.mse_loss(model.call(input), target).backward();
        optimizer.step();
    }
}
