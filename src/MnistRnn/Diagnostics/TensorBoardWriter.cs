using MnistRnn.Models;
using MnistRnn.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Diagnostics;

/// <summary>
/// Writes a run's metrics as TensorBoard event files through TorchSharp's <c>SummaryWriter</c>:
/// scalars for every step (loss, accuracy, gradient norm, clipping) and, on logged steps, the
/// state statistics plus histograms of every parameter and its gradient.
/// </summary>
public sealed class TensorBoardWriter
{
    private readonly SummaryWriter _writer;
    private readonly RecurrentClassifier _model;

    /// <summary>Writes events for <paramref name="model"/> into <paramref name="folder"/>, creating it.</summary>
    public TensorBoardWriter(string folder, RecurrentClassifier model)
    {
        _writer = utils.tensorboard.SummaryWriter(folder);
        _model = model;
    }

    /// <summary>The folder the event files are in.</summary>
    public string Folder => _writer.LogDir;

    /// <summary>Records one validation, as the scalars validation/loss and validation/accuracy.</summary>
    public void Write(ValidationRecord validation)
    {
        _writer.add_scalar("validation/loss", (float)validation.Loss, validation.Step);
        _writer.add_scalar("validation/accuracy", (float)validation.Accuracy, validation.Step);
    }

    /// <summary>Records one step. Call it from <see cref="TrainingCallback.OnStepReported"/>, while the step's gradients still exist.</summary>
    public void Write(StepMetrics metrics)
    {
        int step = metrics.Step;
        _writer.add_scalar("train/loss", (float)metrics.Loss, step);
        _writer.add_scalar("train/accuracy", (float)metrics.Accuracy, step);
        _writer.add_scalar("gradients/norm_before_clipping", (float)metrics.GradNorm, step);
        _writer.add_scalar("gradients/clipped", metrics.Clipped ? 1 : 0, step);
        if (metrics.State is not { } state) return;
        _writer.add_scalar("state/weight_mean", (float)state.WeightMean, step);
        _writer.add_scalar("state/weight_std", (float)state.WeightStd, step);
        _writer.add_scalar("state/output_mean", (float)state.OutputMean, step);
        _writer.add_scalar("state/output_std", (float)state.OutputStd, step);
        _writer.add_scalar("state/saturation", (float)state.Saturation, step);
        // SummaryWriter builds its bin edges as tensors on every call: the scope releases them.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in _model.named_parameters())
        {
            _writer.add_histogram($"weights/{name}", parameter.cpu(), step);
            if (parameter.grad is { } grad && grad.numel() > 0)
                _writer.add_histogram($"gradients/{name}", grad.cpu(), step);
        }
    }
}
