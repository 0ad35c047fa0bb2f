using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

public sealed class AdamOptimizerTests
{
    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void Takes_the_same_steps_as_torchsharps_adam(StepExecution execution)
    {
        using var ours = nn.Linear(6, 3);
        using var theirs = nn.Linear(6, 3);
        using (no_grad())
        {
            theirs.weight!.copy_(ours.weight!);
            theirs.bias!.copy_(ours.bias!);
        }
        using var adam = new AdamOptimizer(ours.parameters(), learningRate: 0.01, execution);
        using var reference = optim.Adam(theirs.parameters(), lr: 0.01);
        var input = randn(8, 6);
        var target = randn(8, 3);

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
