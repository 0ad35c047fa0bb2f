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
}
