using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Adam's update under <see cref="StepExecution.Synchronous"/>: one parameter tensor at a time, with host-side scalars
/// and the update count on the host, computing bit for bit what <c>torch.optim.Adam</c> (or <c>AdamW</c>) computes.
/// </summary>
internal sealed class TensorwiseAdamUpdate : IAdamUpdate
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;

    public TensorwiseAdamUpdate(IReadOnlyList<Parameter> parameters)
    {
        using var noGrad = no_grad();
        _parameters = parameters.ToArray();
        _expAvg = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    public IReadOnlyList<Tensor> FirstMoments => _expAvg;

    public IReadOnlyList<Tensor> SecondMoments => _expAvgSq;

    public long StepCount { get; private set; }

    public void SetStepCount(long count) => StepCount = count;

    public void ZeroGrad()
    {
        foreach (var parameter in _parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }

    /// <remarks>A conditional step reads <paramref name="apply"/> back, so it waits for the device.</remarks>
    public void Step(AdamOptimizer.ParamGroup group, Tensor? apply, Scalar eps, Scalar one)
    {
        if (apply is not null && !apply.item<bool>()) return;
        using var noGrad = no_grad();
        StepCount++;
        using var step = new GroupStep(group, StepCount);
        for (int i = 0; i < _parameters.Length; i++) Update(i, step, eps, one);
    }

    // One parameter's update, in torch.optim.AdamW's order: decay the weight, then the moments, then the step.
    private void Update(int i, GroupStep step, Scalar eps, Scalar one)
    {
        using var grad = _parameters[i].grad;
        if (grad is null) return;
        if (step.Shrink is not null) _parameters[i].mul_(step.Shrink);
        _expAvg[i].mul_(step.Beta1).add_(grad, step.OneMinusBeta1);
        _expAvgSq[i].mul_(step.Beta2).addcmul_(grad, grad, step.OneMinusBeta2);
        using var denominator = _expAvgSq[i].sqrt();
        denominator.div_(step.BiasCorrection2Sqrt).add_(eps, one);
        _parameters[i].addcdiv_(_expAvg[i], denominator, step.NegativeStepSize);
    }

    // The scalars one group's update needs in one step. A double passed to a tensor operation becomes a Scalar that
    // only the finalizer frees (see AdamOptimizer's remarks), so they are made once per group and step and disposed after it.
    // The bias corrections use the current betas, as torch.optim.Adam's do.
    private sealed class GroupStep : IDisposable
    {
        public GroupStep(AdamOptimizer.ParamGroup group, long stepCount)
        {
            var (beta1, beta2) = group.Betas;
            double learningRate = group.LearningRate, decay = group.Options.WeightDecay ?? 0;
            Beta1 = beta1.ToScalar();
            Beta2 = beta2.ToScalar();
            OneMinusBeta1 = (1 - beta1).ToScalar();
            OneMinusBeta2 = (1 - beta2).ToScalar();
            NegativeStepSize = (-learningRate / (1 - Math.Pow(beta1, stepCount))).ToScalar();
            BiasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, stepCount)).ToScalar();
            // The factor weights shrink by under decoupled weight decay; none when it is 0.
            Shrink = decay == 0 ? null : (1 - learningRate * decay).ToScalar();
        }

        public Scalar Beta1 { get; }
        public Scalar Beta2 { get; }
        public Scalar OneMinusBeta1 { get; }
        public Scalar OneMinusBeta2 { get; }
        public Scalar NegativeStepSize { get; }
        public Scalar BiasCorrection2Sqrt { get; }
        public Scalar? Shrink { get; }

        public void Dispose()
        {
            foreach (var scalar in new[] { Beta1, Beta2, OneMinusBeta1, OneMinusBeta2, NegativeStepSize, BiasCorrection2Sqrt, Shrink }) scalar?.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var tensor in _expAvg.Concat(_expAvgSq)) tensor.Dispose();
    }
}
