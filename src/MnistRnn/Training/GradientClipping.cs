using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>Gradient clipping, the usual cure for exploding gradients.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Measures the global L2 norm of the gradients, rescales them to <paramref name="maxNorm"/> when
    /// the norm exceeds it, then clamps each element to [-<paramref name="maxValue"/>, <paramref name="maxValue"/>].
    /// A null threshold skips that kind of clipping.
    /// </summary>
    /// <returns>The norm before clipping, and whether norm clipping rescaled the gradients.</returns>
    public static (double NormBefore, bool Clipped) Apply(IEnumerable<Parameter> parameters, double? maxNorm, double? maxValue)
    {
        var list = parameters as IReadOnlyCollection<Parameter> ?? parameters.ToArray();
        // With an infinite threshold libtorch only measures: its scale factor never drops below 1.
        double norm = nn.utils.clip_grad_norm_(list, maxNorm ?? double.PositiveInfinity);
        if (maxValue is double value)
            nn.utils.clip_grad_value_(list, value);
        return (norm, maxNorm is double limit && norm > limit);
    }
}
