using MnistRnn.Checkpoints;
using MnistRnn.Diagnostics;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Something that observes or steers training, in the manner of Keras's and Lightning's callbacks: override the moments
/// you need and give it to <see cref="Trainer.Callbacks"/>. The trainer calls its own callbacks first (weight average, step
/// lines, stall warnings, gradient flow, early stopping, time budget), then the given ones in their order, each on the
/// training thread.
/// <see cref="Checkpoints.CheckpointStore"/> is one; <see cref="TrainingObserver"/> turns delegates into one.
/// <para>
/// A callback that keeps state (a count, a running figure) saves it in checkpoints by overriding <see cref="SaveState"/>
/// and <see cref="LoadState"/>, as Lightning's <c>state_dict</c> and <c>load_state_dict</c>: a resumed run then continues
/// with the uninterrupted run's state.
/// </para>
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>
    /// The name of this callback's section of a checkpoint (<c>callback.KEY</c>): by default its type's name. Two callbacks
    /// of one run that save state need different keys; a key is 1 to 55 letters, digits, '_', '-' or '.'.
    /// </summary>
    public virtual string StateKey => GetType().Name;

    /// <summary>
    /// Writes this callback's state into <paramref name="state"/> when a checkpoint is written (tensors and values by name);
    /// nothing is written for a callback that saves nothing. Called on the training thread, between steps.
    /// </summary>
    public virtual void SaveState(StateSection state)
    {
    }

    /// <summary>
    /// Continues from the state a checkpoint saved, before <see cref="OnTrainingStart"/> of a resumed run; not called when the
    /// checkpoint has none for <see cref="StateKey"/> (the callback then starts afresh).
    /// </summary>
    public virtual void LoadState(StateSection state)
    {
    }

    /// <summary>Before the first step of a call of <c>Train</c> (after a resumed checkpoint is restored).</summary>
    public virtual void OnTrainingStart(TrainingContext context)
    {
    }

    /// <summary>
    /// Right after the optimizer's update of step <see cref="TrainingContext.Step"/>, before its figures are reported and before
    /// its validation (Lightning's <c>on_train_batch_end</c>): where a weight average moves. Under
    /// <see cref="StepExecution.Synchronous"/> it is called for an update that applied, with <paramref name="applied"/> null;
    /// under <see cref="StepExecution.DeviceResident"/> after every step, with a boolean scalar on the device that says whether
    /// the update applied: use it in tensor arithmetic (reading it waits for the device). It belongs to the step's dispose scope.
    /// </summary>
    public virtual void OnUpdate(TrainingContext context, Tensor? applied)
    {
    }

    /// <summary>
    /// When a step's figures reach the host: right after the step, or under <see cref="StepExecution.DeviceResident"/> in
    /// bursts, in step order, at most <see cref="Trainer.MaxPendingSteps"/> steps late (and before every validation,
    /// checkpoint and logged step).
    /// </summary>
    public virtual void OnStepReported(TrainingContext context, StepMetrics metrics)
    {
    }

    /// <summary>
    /// Before each evaluation of the validation data: the model's weights now are the ones validated (and kept as the best),
    /// so a weight average puts its own in here and the model's back in <see cref="OnValidationEnd"/>.
    /// </summary>
    public virtual void OnValidationStart(TrainingContext context)
    {
    }

    /// <summary>After each evaluation of the validation data, every <see cref="TrainingOptions.ValidateEvery"/> steps and after the last.</summary>
    public virtual void OnValidationEnd(TrainingContext context, ValidationRecord validation)
    {
    }

    /// <summary>After each step of <see cref="TrainingOptions.GradientFlowSteps"/>, with dLoss/dh_t on the probe batch.</summary>
    public virtual void OnGradientFlow(TrainingContext context, GradientFlowMeasurement measurement)
    {
    }

    /// <summary>Once, when the loss has stayed near chance for <see cref="TrainingOptions.StallWindow"/> steps.</summary>
    public virtual void OnStall(TrainingContext context, Stall stall)
    {
    }

    /// <summary>
    /// After everything the trainer does at step <see cref="TrainingContext.Step"/> (its update, validation, early-stopping
    /// decision), while the model holds that step's weights. Under <see cref="StepExecution.DeviceResident"/> its figures may not have been reported yet.
    /// </summary>
    public virtual void OnStepEnd(TrainingContext context)
    {
    }

    /// <summary>
    /// Once, after every callback's <see cref="OnStepEnd"/> of the step at which training was asked to stop (early stopping,
    /// the time budget, or a callback's <see cref="TrainingContext.RequestStop()"/>, whatever its place in the list), while the
    /// model still holds that step's weights; <see cref="Checkpoints.CheckpointStore"/> writes its checkpoint here.
    /// </summary>
    public virtual void OnStopping(TrainingContext context)
    {
    }

    /// <summary>When cancellation stops training, before <see cref="TrainingCanceledException"/> is thrown; the model holds the last completed step's weights.</summary>
    public virtual void OnInterrupted(TrainingContext context)
    {
    }

    /// <summary>After the last step (or the step early stopping ended at), once the model holds the weights <paramref name="result"/> names.</summary>
    public virtual void OnTrainingEnd(TrainingContext context, TrainingResult result)
    {
    }
}
