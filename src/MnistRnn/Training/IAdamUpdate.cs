using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// One parameter group's Adam update: the contract of the two step modes. <see cref="TensorwiseAdamUpdate"/>
/// (<see cref="StepExecution.Synchronous"/>) updates one tensor at a time with its count on the host;
/// <see cref="ResidentAdamUpdate"/> (<see cref="StepExecution.DeviceResident"/>) updates the group as one flat buffer with
/// its count on the device. <see cref="AdamOptimizer"/> holds one per group and knows nothing else of the mode.
/// </summary>
internal interface IAdamUpdate : IDisposable
{
    /// <summary>Each parameter's first-moment estimate, in the group's order; owned by the update.</summary>
    IReadOnlyList<Tensor> FirstMoments { get; }

    /// <summary>Each parameter's second-moment estimate, in the group's order; owned by the update.</summary>
    IReadOnlyList<Tensor> SecondMoments { get; }

    /// <summary>Updates applied so far; where the count lives on the device, reading it waits for the device.</summary>
    long StepCount { get; }

    void SetStepCount(long count);

    void ZeroGrad();

    /// <summary>
    /// One step with the group's settings now (a scheduler may have changed them), taken only if <paramref name="apply"/>,
    /// a boolean scalar on the device, is true, or always when it is null. A step not taken changes nothing.
    /// </summary>
    void Step(AdamOptimizer.ParamGroup group, Tensor? apply, Scalar eps, Scalar one);
}
