using MnistRnn.Performance;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Performance;

[Category("Unit")]
[NonParallelizable]
public sealed class TorchThreadsTests
{
    [Test]
    public void The_probe_sets_a_count_between_one_and_the_physical_cores_and_training_leaves_the_count_alone()
    {
        int before = get_num_threads();
        try
        {
            int chosen = TorchThreads.UseWhatThisMachineCanGive();

            Assert.That(chosen, Is.InRange(1, TorchThreads.PhysicalCores()));
            Assert.That(get_num_threads(), Is.EqualTo(chosen));
            Assert.That(TorchThreads.PhysicalCores(), Is.InRange(1, Environment.ProcessorCount));

            // The library never changes the count unless asked.
            set_num_threads(1);
            using var data = MnistRnn.Data.SequenceDataset.FromArrays(new float[8, 3, 2], [0, 1, 0, 1, 0, 1, 0, 1], 2);
            var trainer = new Trainer(new TrainingOptions { Steps = 2, BatchSize = 4, HiddenSize = 4, StallWindow = 0 });
            using var model = trainer.CreateModel(data);
            trainer.Train(model, data);
            Assert.That(get_num_threads(), Is.EqualTo(1));
        }
        finally
        {
            set_num_threads(before);
        }
    }
}
