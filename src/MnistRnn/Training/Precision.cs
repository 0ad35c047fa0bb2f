namespace MnistRnn.Training;

/// <summary>The number format a training step computes in.</summary>
public enum Precision
{
    /// <summary>float32 throughout, as the experiment trained.</summary>
    Float32,

    /// <summary>
    /// bfloat16 mixed precision, as Lightning's <c>precision="bf16-mixed"</c>: the forward and backward passes run in
    /// bfloat16 on a copy of the weights, while the weights themselves, their gradients, clipping, Adam's state, the loss,
    /// the metrics and validation stay float32 (<see cref="BFloat16Compute"/>).
    /// </summary>
    Bf16Mixed,

    /// <summary>
    /// <see cref="Bf16Mixed"/> where it is faster on this machine, else <see cref="Float32"/>: decided once when training
    /// starts (a resumed run keeps its checkpoint's choice) and reported in <see cref="TrainingResult.PrecisionChoice"/>.
    /// A CPU without bfloat16 instructions keeps float32; otherwise a few steps of the run's own model and batch are timed
    /// in both formats (<see cref="PrecisionChoice"/>).
    /// </summary>
    Auto,
}

/// <summary>The precisions' names as Lightning's <c>precision</c> and the runner's <c>--precision</c> spell them.</summary>
public static class PrecisionNames
{
    /// <summary>"32", "bf16-mixed" or "auto".</summary>
    public static string ToName(this Precision precision) => precision switch
    {
        Precision.Float32 => "32",
        Precision.Bf16Mixed => "bf16-mixed",
        Precision.Auto => "auto",
        _ => precision.ToString(),
    };
}
