using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Training;

namespace MnistRnn.Runner.Options;

/// <summary>The training images and, with --validation N, the N held out from them to validate on (drawn with --seed), for train and compare.</summary>
internal sealed class HeldOutImages : IDisposable
{
    private readonly bool _owned;

    private HeldOutImages(DatasetSplit train, DatasetSplit? heldOut, bool owned)
    {
        Train = train;
        HeldOut = heldOut;
        _owned = owned;
    }

    public DatasetSplit Train { get; }

    public DatasetSplit? HeldOut { get; }

    /// <exception cref="UserErrorException">The count is negative, or a run reads the validation loss and no images are held out.</exception>
    public static void EnsureGiven(int count, IEnumerable<TrainingOptions> runs)
    {
        if (count < 0) throw new UserErrorException(ExitCodes.InvalidArguments, $"--validation must not be negative, got {count}.");
        if (count == 0 && runs.Any(r => r.NeedsValidation))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                "--early-stop, --keep-best and --schedule plateau read the validation loss; hold out validation images with --validation N (5000 is the original experiment's split).");
    }

    /// <exception cref="UserErrorException">Fewer than a batch would be left to train on.</exception>
    public static HeldOutImages HoldOut(int count, MnistDataset dataset, long seed, int imagesPerStep)
    {
        if (count == 0) return new HeldOutImages(dataset.Train, null, owned: false);
        if (count > dataset.Train.Count - imagesPerStep)
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"--validation {count} leaves fewer than a step's {imagesPerStep} of the {dataset.Train.Count} training images to train on; hold out fewer.");
        var (rest, heldOut) = dataset.Train.HoldOut(count, seed);
        return new HeldOutImages(rest, heldOut, owned: true);
    }

    public void Dispose()
    {
        if (!_owned) return;
        Train.Dispose();
        HeldOut?.Dispose();
    }
}
