using static TorchSharp.torch;

namespace MnistRnn.Studies;

/// <summary>
/// Trains the same model over several seeds, with libtorch's thread count fixed for the whole study, and returns the
/// distribution of its scores: what a regression test of a model should assert on, rather than one seed's number.
/// </summary>
public static class SeedStudy
{
    /// <summary>This machine in words, as a distribution records it: CPU model, logical cores, operating system, TorchSharp.</summary>
    public static string ThisMachine => MachineDescription.Current;

    /// <summary>
    /// Calls <paramref name="trainAndScore"/> once per seed, in order, at <paramref name="threads"/> CPU threads, and returns the
    /// scores with the machine and thread count. The thread count is fixed rather than chosen from the machine's load (as
    /// <see cref="Training.Trainer"/> does by default), since another count rounds differently and gives another result:
    /// a trainer called on this thread keeps it unless its <see cref="Training.TrainingOptions.Threads"/> says otherwise.
    /// libtorch's previous count is restored afterwards.
    /// </summary>
    /// <param name="trainAndScore">Trains with the seed it is given and returns its score (test accuracy, say; higher is better).</param>
    /// <param name="seeds">The seeds; at least one, none twice.</param>
    /// <param name="threads">CPU threads for every training; at most the machine's logical cores.</param>
    /// <exception cref="ArgumentException">No seeds, a seed twice, a thread count out of range, or a score that is not a finite number.</exception>
    public static ScoreDistribution Run(Func<long, double> trainAndScore, IEnumerable<long> seeds, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(trainAndScore);
        long[] list = [.. seeds];
        if (list.Length == 0) throw new ArgumentException("Give at least one seed.", nameof(seeds));
        if (list.Distinct().Count() != list.Length) throw new ArgumentException("Each seed may be given once.", nameof(seeds));
        if (!Performance.TorchThreads.IsUsable(threads))
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"threads must be from 1 to the {Environment.ProcessorCount} logical cores of this machine.");
        int before = get_num_threads();
        var scores = new List<SeedScore>(list.Length);
        bool fixedBefore = Performance.TorchThreads.FixedByStudy;
        try
        {
            set_num_threads(threads);
            Performance.TorchThreads.FixedByStudy = true;
            foreach (long seed in list)
            {
                double score = trainAndScore(seed);
                if (!double.IsFinite(score)) throw new ArgumentException($"The score of seed {seed} is {score}, not a finite number.", nameof(trainAndScore));
                scores.Add(new SeedScore(seed, score));
            }
        }
        finally
        {
            Performance.TorchThreads.FixedByStudy = fixedBefore;
            set_num_threads(before);
        }
        return new ScoreDistribution(scores, threads, MachineDescription.Current);
    }
}
