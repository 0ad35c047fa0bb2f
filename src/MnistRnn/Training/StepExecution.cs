using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>How a training step is driven: from the host after every step, or kept on the device.</summary>
public enum StepExecution
{
    /// <summary><see cref="DeviceResident"/> on a GPU, where it measured faster; <see cref="Synchronous"/> on the CPU.</summary>
    Auto,

    /// <summary>
    /// After every step the loss, accuracy and gradient norm are read back, and the host decides whether to apply
    /// the update; Adam updates each parameter tensor in turn with host-side scalars, computing bit for bit what
    /// <c>torch.optim.Adam</c> computes. On a CPU, where every operation finishes before the next starts, the
    /// read-backs cost nothing.
    /// </summary>
    Synchronous,

    /// <summary>
    /// Nothing waits for the device between logged steps: parameters and gradients live in one flat buffer each,
    /// so clipping and Adam are a few kernel launches whatever the number of tensors; the update of a step with a
    /// non-finite loss or gradient is skipped on the device, which also keeps Adam's step count (as PyTorch's
    /// capturable Adam does); and the per-step metrics are read back in batches, at logged steps, checkpoints and
    /// at least every <see cref="Trainer.MaxPendingSteps"/> steps. The same arithmetic as <see cref="Synchronous"/>
    /// in another order, so results agree to rounding.
    /// </summary>
    DeviceResident,
}

/// <summary>Resolves <see cref="StepExecution.Auto"/>.</summary>
public static class StepExecutionChoice
{
    /// <summary>The execution <paramref name="execution"/> means for tensors on <paramref name="device"/>.</summary>
    public static StepExecution Resolve(StepExecution execution, Device device) => execution switch
    {
        StepExecution.Auto => device.type == TorchSharp.DeviceType.CUDA ? StepExecution.DeviceResident : StepExecution.Synchronous,
        _ => execution,
    };
}
