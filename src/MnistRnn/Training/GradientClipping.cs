using TorchSharp;
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

    /// <summary>
    /// <see cref="Apply"/> over one flat buffer of all gradients (<see cref="StepExecution.DeviceResident"/>), with
    /// nothing read back: the norm before clipping and whether it exceeded <paramref name="maxNorm"/> stay on the
    /// device as scalar tensors, in the caller's dispose scope.
    /// </summary>
    internal static (Tensor NormBefore, Tensor Clipped) ApplyOnDevice(Tensor gradients, double? maxNorm, double? maxValue)
    {
        var norm = gradients.norm();
        Tensor clipped;
        if (maxNorm is double limit)
        {
            // libtorch's clip_grad_norm_ factor, min(1, max / (norm + 1e-6)), applied unconditionally: times 1 is exact.
            // Scalars made here and disposed: left to the finalizer, they are what made training leak (see AdamOptimizer).
            using Scalar epsilon = 1e-6, maximum = limit, one = 1;
            gradients.mul_(norm.add(epsilon).reciprocal_().mul_(maximum).clamp_max_(one));
            clipped = norm.gt(maximum);
        }
        else
        {
            clipped = zeros([], ScalarType.Bool, gradients.device);
        }
        if (maxValue is double value)
        {
            using Scalar low = -value, high = value;
            gradients.clamp_(low, high);
        }
        return (norm, clipped);
    }
}
