namespace MnistRnn.Training;

/// <summary>
/// Marks a <see cref="TrainingOptions"/> property that defines the run (its model, data order, optimizer, schedule,
/// clipping, seed, and what validation decides) rather than how it is driven (steps, device, cadences, limits): a
/// resumed run must keep every such setting of its checkpoint's, and <see cref="Checkpoints.CheckpointResume"/> compares
/// them all, so a new run-defining setting is checked on resume by carrying this attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class RunDefiningAttribute : Attribute;
