using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Adam (Kingma and Ba, 2015), computing exactly what <c>torch.optim.Adam</c> computes without
/// weight decay or AMSGrad.
/// </summary>
/// <remarks>
/// Why not TorchSharp's own Adam: every <c>double</c> it passes to a tensor operation becomes a
/// <see cref="Scalar"/>, a small native object that no dispose scope tracks and only the finalizer
/// frees. With it, an LSTM training loop grew by about one step's activations (~11 MB) per step until
/// the process died; a forced GC after each step kept it flat, and so does this class, which creates
/// its constant scalars once and disposes the per-step ones (see the README's Memory section).
/// </remarks>
public sealed class AdamOptimizer : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly Scalar _beta1Scalar;
    private readonly Scalar _beta2Scalar;
    private readonly Scalar _oneMinusBeta1;
    private readonly Scalar _oneMinusBeta2;
    private readonly Scalar _eps;
    private readonly Scalar _one;

    /// <summary>Creates the optimizer with zeroed moment estimates for each parameter.</summary>
    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be positive.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1).");
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
        _beta1 = beta1;
        _beta2 = beta2;
        _beta1Scalar = beta1.ToScalar();
        _beta2Scalar = beta2.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _eps = eps.ToScalar();
        _one = 1.0.ToScalar();
        using var noGrad = no_grad();
        _expAvg = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>The learning rate of the next step.</summary>
    public double LearningRate { get; set; }

    /// <summary>Updates taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>The parameters this optimizer updates.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Zeroes every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in _parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>Takes one Adam step from the gradients now held by the parameters.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        StepCount++;
        double biasCorrection1 = 1 - Math.Pow(_beta1, StepCount);
        double biasCorrection2 = 1 - Math.Pow(_beta2, StepCount);
        using var negativeStepSize = (-LearningRate / biasCorrection1).ToScalar();
        using var biasCorrection2Sqrt = Math.Sqrt(biasCorrection2).ToScalar();
        for (int i = 0; i < _parameters.Length; i++)
        {
            using var grad = _parameters[i].grad;
            if (grad is null) continue;
            _expAvg[i].mul_(_beta1Scalar).add_(grad, _oneMinusBeta1);
            _expAvgSq[i].mul_(_beta2Scalar).addcmul_(grad, grad, _oneMinusBeta2);
            using var denominator = _expAvgSq[i].sqrt();
            denominator.div_(biasCorrection2Sqrt).add_(_eps, _one);
            _parameters[i].addcdiv_(_expAvg[i], denominator, negativeStepSize);
        }
    }

    /// <summary>First-moment estimates, one per parameter in <see cref="Parameters"/> order (for checkpoints).</summary>
    internal IReadOnlyList<Tensor> FirstMoments => _expAvg;

    /// <summary>Second-moment estimates, one per parameter (for checkpoints).</summary>
    internal IReadOnlyList<Tensor> SecondMoments => _expAvgSq;

    /// <summary>Sets the update count a checkpoint recorded; the moments are restored in place through <see cref="FirstMoments"/> and <see cref="SecondMoments"/>.</summary>
    internal void RestoreStepCount(long stepCount) => StepCount = stepCount;

    /// <summary>Releases the moment estimates and the cached scalars.</summary>
    public void Dispose()
    {
        foreach (var tensor in _expAvg.Concat(_expAvgSq)) tensor.Dispose();
        foreach (var scalar in new[] { _beta1Scalar, _beta2Scalar, _oneMinusBeta1, _oneMinusBeta2, _eps, _one }) scalar.Dispose();
    }
}
