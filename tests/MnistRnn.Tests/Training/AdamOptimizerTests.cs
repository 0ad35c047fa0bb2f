using MnistRnn.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

[Category("Unit")]
public sealed class AdamOptimizerTests
{
    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Takes_the_same_steps_as_torchsharps_adam(StepExecution execution)
    {
        var (ours, theirs) = TwinLayers();
        using (ours)
        using (theirs)
        using (var adam = new AdamOptimizer(ours.parameters(), learningRate: 0.01, execution))
        using (var reference = optim.Adam(theirs.parameters(), lr: 0.01))
        {
            var input = randn(8, 6);
            var target = randn(8, 3);
            // Through this class's own ZeroGrad and Step, as the trainer drives it.
            for (int step = 0; step < 20; step++)
            {
                adam.ZeroGrad();
                nn.functional.mse_loss(ours.call(input), target).backward();
                adam.Step();
                reference.zero_grad();
                nn.functional.mse_loss(theirs.call(input), target).backward();
                reference.step();
            }

            Assert.That(adam.StepCount, Is.EqualTo(20));
            AssertSameWeights(ours, theirs);
        }
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void With_weight_decay_takes_the_same_steps_as_torchsharps_adamw(StepExecution execution)
    {
        var (ours, theirs) = TwinLayers();
        using (ours)
        using (theirs)
        using (var adam = new AdamOptimizer(ours.parameters(), learningRate: 0.01, execution, weightDecay: 0.1))
        using (var reference = optim.AdamW(theirs.parameters(), lr: 0.01, weight_decay: 0.1))
        {
            TrainSideBySide(ours, adam, theirs, reference, steps: 20);
            AssertSameWeights(ours, theirs);
        }
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Parameter_groups_keep_their_own_learning_rates(StepExecution execution)
    {
        var (ours, theirs) = TwinLayers();
        using (ours)
        using (theirs)
        using (var adam = new AdamOptimizer(
                   [new AdamOptimizer.ParamGroup([ours.weight!]), new AdamOptimizer.ParamGroup([ours.bias!], new AdamOptimizer.Options { LearningRate = 0.1 })],
                   learningRate: 0.01, execution))
        using (var reference = optim.Adam(
                   [new Adam.ParamGroup([theirs.weight!], new Adam.Options { LearningRate = 0.01 }), new Adam.ParamGroup([theirs.bias!], new Adam.Options { LearningRate = 0.1 })],
                   lr: 0.01))
        {
            TrainSideBySide(ours, adam, theirs, reference, steps: 20);

            Assert.That(adam.ParamGroups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.01, 0.1 }));
            AssertSameWeights(ours, theirs);
        }
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_group_added_before_the_first_step_trains_as_in_torchsharps_adam(StepExecution execution)
    {
        var (ours, theirs) = TwinLayers();
        using (ours)
        using (theirs)
        using (var adam = new AdamOptimizer([ours.weight!], learningRate: 0.01, execution))
        using (var reference = optim.Adam([theirs.weight!], lr: 0.01))
        {
            adam.add_param_group(new AdamOptimizer.ParamGroup([ours.bias!], new AdamOptimizer.Options { LearningRate = 0.1 }));
            reference.add_param_group(new Adam.ParamGroup([theirs.bias!], new Adam.Options { LearningRate = 0.1 }));
            TrainSideBySide(ours, adam, theirs, reference, steps: 20);

            Assert.That(adam.ParamGroups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.01, 0.1 }));
            AssertSameWeights(ours, theirs);
        }
    }

    [Test]
    public void A_group_added_after_some_steps_shares_the_update_count_in_both_step_modes()
    {
        var (synchronous, resident) = TwinLayers();
        using (synchronous)
        using (resident)
        using (var first = new AdamOptimizer([synchronous.weight!], learningRate: 0.01, StepExecution.Synchronous))
        using (var second = new AdamOptimizer([resident.weight!], learningRate: 0.01, StepExecution.DeviceResident))
        {
            TrainSideBySide(synchronous, first, resident, second, steps: 5);
            first.add_param_group(new AdamOptimizer.ParamGroup([synchronous.bias!]));
            second.add_param_group(new AdamOptimizer.ParamGroup([resident.bias!]));
            TrainSideBySide(synchronous, first, resident, second, steps: 5);

            Assert.That((first.StepCount, second.StepCount), Is.EqualTo((10L, 10L)));
            Assert.That(first.state_dict().State.Cast<AdamOptimizer.State>().Select(s => s.Step), Is.All.EqualTo(10));
            AssertSameWeights(synchronous, resident);
        }
    }

    // Two layers with the same initial weights, one for each optimizer under comparison.
    internal static (TorchSharp.Modules.Linear Ours, TorchSharp.Modules.Linear Theirs) TwinLayers()
    {
        var ours = nn.Linear(6, 3);
        var theirs = nn.Linear(6, 3);
        using (no_grad())
        {
            theirs.weight!.copy_(ours.weight!);
            theirs.bias!.copy_(ours.bias!);
        }
        return (ours, theirs);
    }

    // Steps both through TorchSharp's optimizer interface (zero_grad, step), as a training loop written for TorchSharp would.
    private static void TrainSideBySide(nn.Module<Tensor, Tensor> ours, optim.Optimizer adam, nn.Module<Tensor, Tensor> theirs, optim.Optimizer reference, int steps)
    {
        using var generator = new Generator(3);
        using var input = randn([8, 6], generator: generator);
        using var target = randn([8, 3], generator: generator);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            adam.zero_grad();
            nn.functional.mse_loss(ours.call(input), target).backward();
            adam.step();
            reference.zero_grad();
            nn.functional.mse_loss(theirs.call(input), target).backward();
            reference.step();
        }
    }

    private static void AssertSameWeights(TorchSharp.Modules.Linear ours, TorchSharp.Modules.Linear theirs)
    {
        Assert.That(ours.weight!.allclose(theirs.weight!, rtol: 1e-5, atol: 1e-7), Is.True);
        Assert.That(ours.bias!.allclose(theirs.bias!, rtol: 1e-5, atol: 1e-7), Is.True);
    }

    [Test]
    public void Skips_parameters_without_gradients()
    {
        using var layer = nn.Linear(2, 2);
        var before = layer.weight!.clone();
        using var adam = new AdamOptimizer(layer.parameters(), learningRate: 0.1);

        adam.Step();

        Assert.That(layer.weight!.allclose(before, rtol: 0, atol: 0), Is.True);
    }

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Says_so_when_the_model_moved_after_it_was_created(StepExecution execution)
    {
        using var model = new MnistRnn.Models.RecurrentClassifier(MnistRnn.Models.CellKind.Lstm, inputSize: 4, hiddenSize: 8, classes: 3);
        using var adam = new AdamOptimizer(model.parameters(), learningRate: 0.01, execution);
        model.to(ScalarType.Float64);

        var error = Assert.Throws<InvalidOperationException>(adam.ZeroGrad)!;

        Assert.That(error.Message, Does.Contain("create the optimizer after the model's last move"));
    }

    [Test]
    public void Refuses_a_non_positive_learning_rate()
    {
        using var layer = nn.Linear(2, 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer(layer.parameters(), learningRate: 0));
    }
}
