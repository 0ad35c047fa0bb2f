using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;

namespace MnistRnn.Checkpoints;

/// <summary>Everything a run in progress is made of, which a checkpoint must capture to resume it exactly.</summary>
internal sealed record TrainingState(
    RecurrentClassifier Model,
    AdamOptimizer Optimizer,
    ShuffledBatches Batches,
    int Step,
    TrainingOptions Options,
    SequenceDataset Train,
    DataIdentity Data)
{
    /// <summary>The validations so far and the best weights, when the run has validation data.</summary>
    public ValidationTracker? Validation { get; init; }
}
