using MnistRnn.Diagnostics;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Runner.Output;

/// <summary>
/// The --logdir event files of one training run. A folder that cannot take them is refused before training
/// starts; a write that fails later (a full disk) stops training the way Ctrl+C does, so the checkpoint is
/// written first, and the failure is reported as --logdir's, not as a checkpoint's. A training callback.
/// </summary>
internal sealed class TensorBoardLog : TrainingCallback
{
    private readonly TensorBoardWriter _writer;
    private readonly CancellationTokenSource _stop;

    private TensorBoardLog(TensorBoardWriter writer, CancellationTokenSource stop)
    {
        _writer = writer;
        _stop = stop;
    }

    /// <summary>What made the events stop, or null while they are written.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>
    /// Prepares event files in <paramref name="folder"/> for training <paramref name="model"/> (nothing when null); a failed
    /// write cancels <paramref name="stop"/>, which must be the token training runs with.
    /// </summary>
    /// <exception cref="UserErrorException">The folder cannot take event files (exit 5).</exception>
    public static TensorBoardLog? Create(string? folder, RecurrentClassifier model, CancellationTokenSource stop)
    {
        if (folder is null) return null;
        TensorBoardWriter writer;
        try
        {
            writer = new TensorBoardWriter(folder, model);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.OutputNotWritable, $"--logdir: cannot write event files in {folder} ({e.Message}).");
        }
        return new TensorBoardLog(writer, stop);
    }

    /// <summary>Writes the step's scalars and histograms.</summary>
    public override void OnStepReported(TrainingContext context, StepMetrics metrics) => Guarded(() => _writer.Write(metrics));

    /// <summary>Writes the validation's scalars.</summary>
    public override void OnValidationEnd(TrainingContext context, ValidationRecord validation) => Guarded(() => _writer.Write(validation));

    /// <summary>The error to report once training has stopped because of <see cref="Failure"/>.</summary>
    public UserErrorException Error(string whatWasKept) =>
        new(ExitCodes.OutputNotWritable, $"--logdir: cannot write event files in {_writer.Folder} ({Failure!.Message}); training stopped. {whatWasKept}");

    private void Guarded(Action write)
    {
        if (Failure is not null) return;
        try
        {
            write();
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            Failure = e;
            _stop.Cancel();
        }
    }
}
