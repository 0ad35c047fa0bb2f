// Trains the experiment's LSTM (hidden 128, batch 100) on MNIST through the packed library, as a user would, and prints
// one tab-separated line: the setting, the thread count the run computed with, who chose it, samples/s, the seconds the
// load reading takes alone, the seconds from the Train call to the first step (the thread choice and the run's
// set-up), and the choice's reason.
//
//   contention-bench DATA_FOLDER STEPS default|N
using System.Diagnostics;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Performance;
using MnistRnn.Training;
using static TorchSharp.torch;

string data = args[0];
int steps = int.Parse(args[1]);
int? threads = args[2] == "default" ? null : int.Parse(args[2]);

// The reading the trainer makes, timed alone beside the same load. A new thread takes the last count set anywhere as its
// own, so the reading's thread puts the default back for the training thread.
double readingSeconds = 0;
var reading = new Thread(() =>
{
    int before = get_num_threads();
    var clock = Stopwatch.StartNew();
    TorchThreads.UseWhatThisMachineCanGive();
    readingSeconds = clock.Elapsed.TotalSeconds;
    set_num_threads(before);
});
reading.Start();
reading.Join();

var options = new TrainingOptions { Cell = CellKind.Lstm, Steps = steps, Threads = threads, CheckpointEvery = 0 };
var device = DeviceSelection.Resolve(options.Device);
using var mnist = MnistDataset.Load(data, device);
var trainer = new Trainer(options);
var start = new StartClock();
trainer.Callbacks.Add(start);
using var model = trainer.CreateModel(device, mnist);
start.Clock.Start();
var result = trainer.Train(model, mnist.Train);
Console.WriteLine($"{args[2]}\t{result.ThreadChoice.Threads}\t{result.ThreadChoice.Source}\t{result.SamplesPerSecond:F0}\t{readingSeconds:F3}\t{start.Seconds:F3}\t{result.ThreadChoice.Reason}");

sealed class StartClock : TrainingCallback
{
    public Stopwatch Clock { get; } = new();
    public double Seconds { get; private set; }
    public override void OnTrainingStart(TrainingContext context) => Seconds = Clock.Elapsed.TotalSeconds;
}
