using System.Diagnostics;
using MnistRnn.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// The measurement behind <see cref="Precision.Auto"/>: the forward and backward passes of a model like the run's, on one
/// batch of the run's size, timed in float32 and in bf16-mixed (its copies of the weights and gradients included). It uses
/// throwaway models and made-up data, and leaves torch's generator as it found it, so the run it decides for is not changed.
/// </summary>
internal static class PrecisionProbe
{
    private const int WarmupSteps = 2, MaxTimedSteps = 5;

    // Larger models get fewer timed steps, not a longer wait: at least one of each after the warm-up, then more while within this.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    /// <summary>The median seconds of a step in each precision.</summary>
    public static (double Float32, double Bf16Mixed) SecondsPerStep(RecurrentClassifierOptions modelOptions, int batchSize, int sequenceSteps, Device device)
    {
        // Without dropout the passes draw no random numbers; building the models draws, and the generator is put back after.
        var options = modelOptions with { Dropout = 0 };
        using var generator = random.get_rng_state();
        using var float32 = new RecurrentClassifier(options);
        using var master = new RecurrentClassifier(options);
        random.set_rng_state(generator);
        float32.to(device);
        master.to(device);
        using var bf16 = new BFloat16Compute(master);
        using var data = NewDisposeScope();
        var local = new Generator(1, device);
        var input = randn([batchSize, sequenceSteps, options.InputSize], generator: local, device: device);
        var labels = randint(options.Classes, [batchSize], generator: local, device: device);

        void Float32Step()
        {
            using var scope = NewDisposeScope();
            float32.zero_grad();
            nn.functional.cross_entropy(float32.forward(input), labels).backward();
        }
        void Bf16MixedStep()
        {
            using var scope = NewDisposeScope();
            var network = bf16.Begin(training: true);
            nn.functional.cross_entropy(network.forward(input.to(ScalarType.BFloat16)).to(ScalarType.Float32), labels).backward();
            bf16.End();
        }
        for (int i = 0; i < WarmupSteps; i++)
        {
            Float32Step();
            Bf16MixedStep();
        }
        var float32Times = new List<double>();
        var bf16Times = new List<double>();
        var total = Stopwatch.StartNew();
        while (float32Times.Count < MaxTimedSteps && (float32Times.Count == 0 || total.Elapsed < Budget))
        {
            // Alternated, so a change in the machine's load falls on both.
            float32Times.Add(Seconds(Float32Step, device));
            bf16Times.Add(Seconds(Bf16MixedStep, device));
        }
        return (Median(float32Times), Median(bf16Times));
    }

    private static double Seconds(Action step, Device device)
    {
        var clock = Stopwatch.StartNew();
        step();
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize(device);
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
