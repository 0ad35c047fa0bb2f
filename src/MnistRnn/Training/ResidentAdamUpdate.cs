using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Adam's update under <see cref="StepExecution.DeviceResident"/>: the parameters, gradients and moments live in flat
/// buffers (<see cref="FlatParameters"/>), one update is a few launches over all of them, and the update count and bias
/// corrections stay on the device, so an update can be skipped without the host knowing whether it was.
/// </summary>
internal sealed class ResidentAdamUpdate : IAdamUpdate
{
    private readonly FlatParameters _flat;
    private readonly Tensor _expAvg;
    private readonly Tensor _expAvgSq;
    private readonly Tensor _stepCount;
    private readonly Tensor _logBetas;
    private readonly Tensor _coefficientOffsets;
    private readonly Tensor _coefficientSlopes;
    private readonly Device _device;
    // The device's copies of the betas, rewritten only when a scheduler (or the Betas setter) changed them.
    private (double Beta1, double Beta2) _deviceBetas;

    public ResidentAdamUpdate(IReadOnlyList<Parameter> parameters, (double Beta1, double Beta2) betas)
    {
        _device = parameters[0].device;
        using var noGrad = no_grad();
        _flat = new FlatParameters(parameters);
        _expAvg = zeros_like(_flat.Values).DetachFromDisposeScope();
        _expAvgSq = zeros_like(_flat.Values).DetachFromDisposeScope();
        FirstMoments = parameters.Select((_, i) => _flat.View(_expAvg, i).DetachFromDisposeScope()).ToArray();
        SecondMoments = parameters.Select((_, i) => _flat.View(_expAvgSq, i).DetachFromDisposeScope()).ToArray();
        _stepCount = zeros([], ScalarType.Float64, _device).DetachFromDisposeScope();
        _logBetas = zeros(2, ScalarType.Float64, _device).DetachFromDisposeScope();
        // decay = 1 + applied (beta - 1), gain = applied (1 - beta): one fused multiply-add for all four.
        _coefficientOffsets = tensor(new[] { 1.0, 1.0, 0.0, 0.0 }, ScalarType.Float64, _device).DetachFromDisposeScope();
        _coefficientSlopes = zeros(4, ScalarType.Float64, _device).DetachFromDisposeScope();
        WriteBetasToDevice(betas);
    }

    /// <summary>Each parameter's first-moment estimate, a view into one buffer.</summary>
    public IReadOnlyList<Tensor> FirstMoments { get; }

    /// <summary>Each parameter's second-moment estimate, a view into one buffer.</summary>
    public IReadOnlyList<Tensor> SecondMoments { get; }

    /// <summary>The group's gradients as one flat tensor.</summary>
    public Tensor Gradients => _flat.Gradients;

    /// <summary>Updates applied so far; reading it waits for the device.</summary>
    public long StepCount => (long)_stepCount.item<double>();

    public void SetStepCount(long count) => _stepCount.fill_(count);

    public void ZeroGrad() => _flat.Gradients.zero_();

    private void WriteBetasToDevice((double Beta1, double Beta2) betas)
    {
        using var noGrad = no_grad();
        using var logBetas = tensor(new[] { Math.Log(betas.Beta1), Math.Log(betas.Beta2) }, ScalarType.Float64);
        using var slopes = tensor(new[] { betas.Beta1 - 1, betas.Beta2 - 1, 1 - betas.Beta1, 1 - betas.Beta2 }, ScalarType.Float64);
        _logBetas.copy_(logBetas);
        _coefficientSlopes.copy_(slopes);
        _deviceBetas = betas;
    }

    /// <summary>
    /// One Adam step over the group if <paramref name="apply"/> (a boolean scalar on the device) is true or null, and exactly
    /// nothing otherwise: moments, parameters and update count keep their values. Nothing waits for the device.
    /// </summary>
    /// <remarks>
    /// A skipped step's gradients may hold NaN or infinities. Rather than select between old and new values, every
    /// coefficient is made neutral (decay 1, gain 0, step size 0) and the gradients are made finite, so the same
    /// launches run either way and an update multiplied by zero changes nothing.
    /// </remarks>
    public void Step(AdamOptimizer.ParamGroup group, Tensor? apply, Scalar eps, Scalar one)
    {
        using var noGrad = no_grad();
        var (learningRate, betas, weightDecay) = (group.LearningRate, group.Betas, group.Options.WeightDecay ?? 0);
        if (betas != _deviceBetas) WriteBetasToDevice(betas);
        using var scope = NewDisposeScope();
        var applied = apply?.to(ScalarType.Float64) ?? ones([], ScalarType.Float64, _device);
        _stepCount.add_(applied);
        // In float64, as the host computes them: beta^t as exp(t ln beta) for both betas at once, from at least one
        // step so that a run whose every step so far was skipped divides by no zero; then 1 / (1 - beta^t).
        var inverseCorrections = _stepCount.clamp_min(one).mul(_logBetas).exp_().neg_().add_(one).reciprocal_();
        // A double passed to a tensor operation becomes a Scalar that only the finalizer frees (see AdamOptimizer's remarks).
        using var negativeLearningRate = (-learningRate).ToScalar();
        // decay of m and v (beta, or 1 when skipped), gain of m and v (1 - beta, or 0), negative step size (or 0),
        // 1 / sqrt(bias correction 2); converted once to the parameters' dtype, so no kernel mixes dtypes.
        var coefficients = cat([
            addcmul(_coefficientOffsets, applied, _coefficientSlopes, one),
            inverseCorrections.narrow(0, 0, 1).mul(applied).mul_(negativeLearningRate),
            inverseCorrections.narrow(0, 1, 1).sqrt_(),
        ]).to(_flat.Values.dtype);
        var (decay1, decay2, gain1, gain2, negativeStepSize, inverseBiasCorrection2Sqrt) =
            (coefficients[0], coefficients[1], coefficients[2], coefficients[3], coefficients[4], coefficients[5]);

        if (weightDecay != 0)
        {
            // AdamW's shrink, 1 - lr wd when applied and exactly 1 when skipped, before anything else moves.
            using var negativeDecay = (-learningRate * weightDecay).ToScalar();
            _flat.Values.mul_(applied.mul(negativeDecay).add_(one).to(_flat.Values.dtype));
        }
        var grad = _flat.Gradients.nan_to_num(0, 0, 0);
        _expAvg.mul_(decay1).addcmul_(grad, gain1, one);
        _expAvgSq.mul_(decay2).addcmul_(grad.mul(gain2), grad, one);
        var denominator = _expAvgSq.sqrt().mul_(inverseBiasCorrection2Sqrt).add_(eps, one);
        _flat.Values.addcmul_(_expAvg.div(denominator), negativeStepSize, one);
    }

    public void Dispose()
    {
        foreach (var tensor in FirstMoments.Concat(SecondMoments)) tensor.Dispose();
        foreach (var tensor in new[] { _expAvg, _expAvgSq, _stepCount, _logBetas, _coefficientOffsets, _coefficientSlopes }) tensor.Dispose();
        _flat.Dispose();
    }
}
