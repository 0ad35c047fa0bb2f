using MnistRnn.Checkpoints;
using MnistRnn.Performance;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// The CPU threads libtorch computed with during a run, and why. Another count rounds differently, so a run's result
/// depends on it; a checkpoint records it and a resumed run keeps it.
/// </summary>
/// <param name="Threads">The intra-op thread count of the training thread.</param>
/// <param name="Source">Who decided it.</param>
/// <param name="Reason">One sentence: why this count, with the load reading when the machine's load decided it.</param>
public sealed record ThreadChoice(int Threads, ThreadSource Source, string Reason)
{
    /// <summary>
    /// The count for a run of <paramref name="options"/>: theirs, else the checkpoint's, else one set before training,
    /// else what this machine's load leaves (<see cref="TorchThreads.ForThisMachine"/>).
    /// </summary>
    internal static ThreadChoice For(TrainingOptions options, Checkpoint? resume)
    {
        if (options.Threads is int given) return new(given, ThreadSource.Given, $"given in {Trainer.OptionsPropertyName(nameof(TrainingOptions.Threads))}");
        if (resume?.Info.Threads is int saved)
        {
            int usable = Math.Min(saved, Environment.ProcessorCount);
            return new(usable, ThreadSource.Checkpoint, usable == saved
                ? "the checkpoint's run computed with it, and another count rounds differently"
                : $"the checkpoint's run computed with {saved}, more than the {Environment.ProcessorCount} logical cores here, so it rounds differently from here on");
        }
        if (TorchThreads.SetBeforeTraining() is { } reason) return new(get_num_threads(), ThreadSource.SetBefore, reason);
        return TorchThreads.ForThisMachine();
    }
}

/// <summary>Who decided a run's thread count (<see cref="ThreadChoice"/>).</summary>
public enum ThreadSource
{
    /// <summary><see cref="TrainingOptions.Threads"/>.</summary>
    Given,

    /// <summary>The resumed checkpoint's run.</summary>
    Checkpoint,

    /// <summary>Set on the training thread before <c>Train</c>: <c>torch.set_num_threads</c>, <c>OMP_NUM_THREADS</c> or a <see cref="Studies.SeedStudy"/>.</summary>
    SetBefore,

    /// <summary>The trainer, from how busy the machine's CPUs were when training started.</summary>
    Load,
}
