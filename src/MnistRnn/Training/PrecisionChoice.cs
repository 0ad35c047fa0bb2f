using MnistRnn.Checkpoints;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>The precision a run trained in, and why: given in its options, its checkpoint's, or chosen for <see cref="Precision.Auto"/>.</summary>
/// <param name="Precision"><see cref="Training.Precision.Float32"/> or <see cref="Training.Precision.Bf16Mixed"/>.</param>
/// <param name="Reason">One sentence: why this precision, with the measurement when one decided it.</param>
public sealed record PrecisionChoice(Precision Precision, string Reason)
{
    /// <summary>
    /// How much faster than float32 a bf16-mixed step must be measured for <see cref="Precision.Auto"/> to choose it: enough
    /// that the measurement's noise cannot make the choice, and worth bfloat16's coarser rounding.
    /// </summary>
    public const double MinimumSpeedup = 1.2;

    /// <summary>The choice for <paramref name="options"/>: theirs unless <see cref="Precision.Auto"/>, then the checkpoint's or this machine's.</summary>
    internal static PrecisionChoice For(TrainingOptions options, RecurrentClassifier model, int batchSize, int sequenceSteps, Checkpoint? resume)
    {
        var device = model.WeightsDevice;
        var hardware = device.type == TorchSharp.DeviceType.CPU ? BFloat16Hardware.OfThisCpu() : BFloat16Hardware.Unknown("a GPU");
        if (options.Precision == Precision.Float32) return new(Precision.Float32, "given");
        if (options.Precision == Precision.Bf16Mixed) return Given(Precision.Bf16Mixed, "given", hardware);
        if (resume?.Info.Options.Precision is Precision.Float32 or Precision.Bf16Mixed)
            return Given(resume.Info.Options.Precision, "the checkpoint's run chose it, and a resumed run keeps its precision", hardware);
        return Decide(hardware, () => PrecisionProbe.SecondsPerStep(model.Options, batchSize, sequenceSteps, device));
    }

    /// <summary>
    /// A precision that was not measured: a bf16-mixed one on hardware known to lack bfloat16 says that it runs emulated
    /// (measured 8.5 to 17x slower than float32 on an AVX2-only EPYC), so that nobody waits an hour without a word.
    /// </summary>
    internal static PrecisionChoice Given(Precision precision, string why, BFloat16Hardware hardware) =>
        precision == Precision.Bf16Mixed && hardware.HasIt == false
            ? new(precision, $"{why}, but {hardware.Description}, so bfloat16 runs emulated, several times slower than float32 (--precision 32 or auto avoids it)")
            {
                Emulated = true,
            }
            : new(precision, why);

    /// <summary>True when the run computes in bfloat16 on hardware that lacks it, so emulated and slow.</summary>
    public bool Emulated { get; init; }

    /// <summary>
    /// The decision itself: float32 on hardware known to lack bfloat16 arithmetic (without measuring), else whichever
    /// <paramref name="measure"/> finds faster, bf16-mixed only by at least <see cref="MinimumSpeedup"/>.
    /// </summary>
    internal static PrecisionChoice Decide(BFloat16Hardware hardware, Func<(double Float32, double Bf16Mixed)> measure)
    {
        if (hardware.HasIt == false)
            return new(Precision.Float32, $"{hardware.Description}, so bfloat16 would be emulated and slower than float32");
        var (float32, bf16) = measure();
        double speedup = float32 / bf16;
        string measured = $"a bf16-mixed step of this model and batch took {bf16 * 1e3:F2} ms and a float32 step {float32 * 1e3:F2} ms ({speedup:F2}x as fast) on {hardware.Description}";
        return speedup >= MinimumSpeedup
            ? new(Precision.Bf16Mixed, measured)
            : new(Precision.Float32, $"{measured}, less than the {MinimumSpeedup:F1}x that bf16-mixed must gain");
    }
}
