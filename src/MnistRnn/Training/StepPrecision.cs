using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// The number format a training step's passes compute in, handed to the step: float32 on the model itself
/// (<see cref="StepPrecision.Float32"/>), or bf16-mixed on a bfloat16 copy (<see cref="BFloat16Compute"/>). Everything else
/// in a step (clipping, Adam, the loss, the metrics) is float32 whichever it is.
/// </summary>
internal interface IStepPrecision : IDisposable
{
    /// <summary>The network the step's forward and backward passes run on, holding <paramref name="model"/>'s weights as of now.</summary>
    RecurrentClassifier Begin(RecurrentClassifier model);

    /// <summary>A batch of sequences as that network takes them.</summary>
    Tensor Input(Tensor sequences);

    /// <summary>The network's logits as the float32 loss takes them.</summary>
    Tensor Logits(Tensor logits);

    /// <summary>Hands the step's gradients to <paramref name="model"/>'s weights, where clipping and Adam work.</summary>
    void End(RecurrentClassifier model);
}

/// <summary>The step precisions.</summary>
internal static class StepPrecision
{
    /// <summary>The precision <paramref name="precision"/> (resolved, never auto) asks for over <paramref name="model"/>.</summary>
    public static IStepPrecision For(Precision precision, RecurrentClassifier model) =>
        precision == Precision.Bf16Mixed ? new BFloat16Compute(model) : Float32;

    /// <summary>float32 throughout: the passes run on the model itself, and its gradients are already where Adam reads them.</summary>
    public static readonly IStepPrecision Float32 = new Float32Passes();

    private sealed class Float32Passes : IStepPrecision
    {
        public RecurrentClassifier Begin(RecurrentClassifier model) => model;

        public Tensor Input(Tensor sequences) => sequences;

        public Tensor Logits(Tensor logits) => logits;

        public void End(RecurrentClassifier model)
        {
        }

        public void Dispose()
        {
        }
    }
}
