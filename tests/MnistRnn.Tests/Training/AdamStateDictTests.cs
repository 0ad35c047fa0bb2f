using MnistRnn.Tests.Support;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

/// <summary>
/// A user's own loop saves and restores <see cref="AdamOptimizer"/> as TorchSharp's optimizers are saved: <c>state_dict</c>
/// and <c>load_state_dict</c> in memory, <c>save_state_dict</c> and <c>load_state_dict</c> through a file. A loop resumed that
/// way ends with the uninterrupted loop's weights, in both step modes.
/// </summary>
[Category("Unit")]
public sealed class AdamStateDictTests
{
    private static readonly Tensor Inputs = randn([32, 6], generator: new Generator(3)).DetachFromDisposeScope();
    private static readonly Tensor Targets = randn([32, 2], generator: new Generator(4)).DetachFromDisposeScope();

    private static nn.Module<Tensor, Tensor> Layer(int seed)
    {
        random.manual_seed(seed);
        return nn.Linear(6, 2);
    }

    private static void Steps(nn.Module<Tensor, Tensor> layer, AdamOptimizer adam, int count)
    {
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            adam.ZeroGrad();
            nn.functional.mse_loss(layer.call(Inputs), Targets).backward();
            adam.Step();
        }
    }

    private static float[] Weights(nn.Module<Tensor, Tensor> layer) => layer.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [TestCase(StepExecution.Synchronous)]
    [TestCase(StepExecution.DeviceResident)]
    public void A_loop_resumed_through_a_saved_state_ends_with_the_uninterrupted_weights(StepExecution execution)
    {
        using var folder = new TempFolder();
        using var whole = Layer(1);
        using (var adam = new AdamOptimizer(whole.parameters(), 0.05, execution)) Steps(whole, adam, 10);

        using var first = Layer(1);
        using (var adam = new AdamOptimizer(first.parameters(), 0.05, execution))
        {
            Steps(first, adam, 4);
            adam.save_state_dict(folder.File("adam.bin"));
            first.save(folder.File("layer.bin"));
        }
        using var second = Layer(2);
        second.load(folder.File("layer.bin"));
        using var resumed = new AdamOptimizer(second.parameters(), 0.05, execution);
        resumed.load_state_dict(folder.File("adam.bin"));
        Assert.That(resumed.StepCount, Is.EqualTo(4));
        Steps(second, resumed, 6);

        Assert.That(Weights(second), Is.EqualTo(Weights(whole)));
    }

    [Test]
    public void State_dict_hands_one_optimizers_moments_and_count_to_another()
    {
        using var layer = Layer(1);
        using var source = new AdamOptimizer(layer.parameters(), 0.05);
        Steps(layer, source, 3);
        using var copy = Layer(1);
        using var target = new AdamOptimizer(copy.parameters(), 0.05, StepExecution.DeviceResident);

        target.load_state_dict(source.state_dict());

        Assert.That(target.StepCount, Is.EqualTo(3));
        var states = source.state_dict().State.Zip(target.state_dict().State);
        Assert.That(states.All(pair => pair.First.ApproximatelyEquals(pair.Second)), Is.True);
        Assert.That(source.state_dict().State.Cast<AdamOptimizer.State>().First().ExpAvg.abs().sum().item<float>(), Is.GreaterThan(0));
    }

    [Test]
    public void A_saved_state_of_other_parameters_is_refused_before_it_is_read()
    {
        using var folder = new TempFolder();
        using var small = nn.Linear(6, 2);
        using (var adam = new AdamOptimizer(small.parameters(), 0.05)) adam.save_state_dict(folder.File("small.bin"));
        using var large = nn.Linear(60, 2);
        using var other = new AdamOptimizer(large.parameters(), 0.05);

        var error = Assert.Throws<InvalidDataException>(() => other.load_state_dict(folder.File("small.bin")))!;
        Assert.That(error.Message, Does.Contain("a saved moment has 12 elements where its parameter has 120"));
    }
}
