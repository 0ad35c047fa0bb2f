using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>What a checkpoint says about itself: where training stood, how it was set up and with what software.</summary>
/// <param name="Step">Steps completed when it was written.</param>
/// <param name="Options">The run's training options (the device is recorded separately).</param>
/// <param name="InputSize">Features per sequence step the model reads.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="ItemRows">Rows of one training item as the data came: an image's rows, or a sequence's steps.</param>
/// <param name="ItemColumns">Columns of one training item as the data came: an image's columns, or a sequence's features per step.</param>
/// <param name="TrainCount">Size of the training split, which the batch order depends on.</param>
/// <param name="LibraryVersion">MnistRnn version that wrote it.</param>
/// <param name="TorchSharpVersion">TorchSharp version that wrote it.</param>
/// <param name="LibTorchVersion">libtorch version that wrote it.</param>
/// <param name="Device">Device it was trained on.</param>
/// <param name="CreatedUtc">When it was written.</param>
public sealed record CheckpointInfo(
    int Step,
    TrainingOptions Options,
    int InputSize,
    int Classes,
    int ItemRows,
    int ItemColumns,
    int TrainCount,
    string LibraryVersion,
    string TorchSharpVersion,
    string LibTorchVersion,
    string Device,
    DateTimeOffset CreatedUtc)
{
    /// <summary>
    /// SHA-256 of the training split it was trained on (images as float32, then labels as int64), which a
    /// resumed run must match; null in checkpoints written before it was recorded.
    /// </summary>
    public string? DataFingerprint { get; init; }

    /// <summary>
    /// The CPU threads libtorch computed with when it was written (CPU rounding depends on it, so a resumed run that
    /// must match an uninterrupted one uses the same count, as the trainer does unless <see cref="Training.TrainingOptions.Threads"/>
    /// says otherwise); null in checkpoints written before it was recorded.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>The cell, hidden size, input size, classes and sequence order, as one line for messages.</summary>
    public string Architecture => $"{ModelOptions}, {Options.Order.ToName()} order";

    /// <summary>The architecture of the checkpoint's model.</summary>
    public RecurrentClassifierOptions ModelOptions => Options.Architecture(InputSize, Classes);
}
