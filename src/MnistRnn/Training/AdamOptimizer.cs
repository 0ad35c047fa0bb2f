using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Adam (Kingma and Ba, 2015), computing exactly what <c>torch.optim.Adam</c> computes without AMSGrad, or with
/// a weight decay what <c>torch.optim.AdamW</c> computes. It is a TorchSharp <see cref="torch.optim.Optimizer"/>:
/// its <see cref="torch.optim.Optimizer.ParamGroups"/> carry the learning rate (and weight decay) of each group, so
/// TorchSharp's learning-rate schedulers (<c>torch.optim.lr_scheduler</c>) drive it as they drive TorchSharp's own.
/// </summary>
/// <remarks>
/// Why not TorchSharp's own Adam: every <c>double</c> it passes to a tensor operation becomes a
/// <see cref="Scalar"/>, a small native object that no dispose scope tracks and only the finalizer
/// frees. With it, an LSTM training loop grew by about one step's activations per step until
/// the process died; a forced GC after each step kept it flat, and so does this class, which creates
/// its constant scalars once and disposes the per-step ones (see the README's Memory section).
/// <para>
/// With <see cref="StepExecution.DeviceResident"/> the parameters, gradients and moments live in flat buffers
/// (<see cref="FlatParameters"/>), one update is a few launches over all of them, and the step count and bias
/// corrections stay on the device, so <see cref="Step(Tensor)"/> can skip an update without the host knowing
/// whether it did. Create the optimizer after the model's last move to a device or dtype.
/// </para>
/// </remarks>
public sealed class AdamOptimizer : torch.optim.Optimizer, torch.optim.IBetas
{
    private Parameter[] _parameters;
    // The group of each parameter, in _parameters order.
    private ParamGroup[] _groupOf;
    private Tensor[] _expAvg;
    private Tensor[] _expAvgSq;
    private readonly Scalar _eps;
    private readonly Scalar _one;
    private readonly Device _device;
    private readonly ScalarType _dtype;
    private readonly FlatParameters? _flat;
    private readonly Tensor? _flatExpAvg;
    private readonly Tensor? _flatExpAvgSq;
    private readonly Tensor? _deviceStepCount;
    private readonly Tensor? _logBetas;
    private readonly Tensor? _coefficientOffsets;
    private readonly Tensor? _coefficientSlopes;

    /// <summary>Creates the optimizer with zeroed moment estimates for each parameter, updating them one tensor at a time.</summary>
    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : this(parameters, learningRate, StepExecution.Synchronous, beta1, beta2, eps)
    {
    }

    /// <summary>Creates the optimizer with zeroed moment estimates, driven as <paramref name="execution"/> says.</summary>
    /// <param name="parameters">The parameters to update, all on one device with one dtype; for <see cref="StepExecution.DeviceResident"/> they become views into one buffer.</param>
    /// <param name="learningRate">The step size; <see cref="LearningRate"/> or a scheduler may change it between steps.</param>
    /// <param name="execution"><see cref="StepExecution.Synchronous"/> or <see cref="StepExecution.DeviceResident"/>.</param>
    /// <param name="beta1">Decay of the first-moment estimate.</param>
    /// <param name="beta2">Decay of the second-moment estimate.</param>
    /// <param name="eps">Added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay, as <c>torch.optim.AdamW</c>'s <c>weight_decay</c>; 0 for plain Adam.</param>
    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, StepExecution execution, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0)
        : this([new ParamGroup(parameters)], learningRate, execution, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>
    /// Creates the optimizer over parameter groups, each with its own learning rate and weight decay where its
    /// <see cref="Options"/> give one, and this constructor's otherwise.
    /// </summary>
    /// <param name="groups">The groups; more than one needs <see cref="StepExecution.Synchronous"/>.</param>
    /// <param name="learningRate">The step size of groups that give none.</param>
    /// <param name="execution"><see cref="StepExecution.Synchronous"/> or <see cref="StepExecution.DeviceResident"/>.</param>
    /// <param name="beta1">Decay of the first-moment estimate.</param>
    /// <param name="beta2">Decay of the second-moment estimate.</param>
    /// <param name="eps">Added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay of groups that give none; 0 for plain Adam.</param>
    public AdamOptimizer(IEnumerable<ParamGroup> groups, double learningRate, StepExecution execution = StepExecution.Synchronous, double beta1 = 0.9,
        double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : base(IntPtr.Zero)
    {
        if (execution is not (StepExecution.Synchronous or StepExecution.DeviceResident))
            throw new ArgumentOutOfRangeException(nameof(execution), execution, "must be Synchronous or DeviceResident; resolve Auto for the device first.");
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be positive.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1).");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must not be negative.");
        var groupList = groups.ToList();
        if (execution == StepExecution.DeviceResident && groupList.Count != 1)
            throw new ArgumentException("StepExecution.DeviceResident updates all parameters as one buffer, so it takes one parameter group.", nameof(groups));
        _defaults = new Options { LearningRate = learningRate, InitialLearningRate = learningRate, WeightDecay = weightDecay, Beta1 = beta1, Beta2 = beta2 };
        foreach (var group in groupList) Complete(group);
        _parameter_groups = groupList.Cast<TorchSharp.Modules.ParamGroup>().ToList();
        _groupOf = groupList.SelectMany(g => g.Parameters.Select(_ => g)).ToArray();
        _parameters = groupList.SelectMany(g => g.Parameters).ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("there are no parameters to optimize.", nameof(groups));
        (_device, _dtype) = (_parameters[0].device, _parameters[0].dtype);
        _eps = eps.ToScalar();
        _one = 1.0.ToScalar();
        Execution = execution;
        using var noGrad = no_grad();
        if (execution == StepExecution.Synchronous)
        {
            _expAvg = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            _expAvgSq = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            return;
        }
        _flat = new FlatParameters(_parameters);
        _flatExpAvg = zeros_like(_flat.Values).DetachFromDisposeScope();
        _flatExpAvgSq = zeros_like(_flat.Values).DetachFromDisposeScope();
        _expAvg = _parameters.Select((_, i) => _flat.View(_flatExpAvg, i).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select((_, i) => _flat.View(_flatExpAvgSq, i).DetachFromDisposeScope()).ToArray();
        var device = _flat.Values.device;
        _deviceStepCount = zeros([], ScalarType.Float64, device).DetachFromDisposeScope();
        _logBetas = zeros(2, ScalarType.Float64, device).DetachFromDisposeScope();
        // decay = 1 + applied (beta - 1), gain = applied (1 - beta): one fused multiply-add for all four.
        _coefficientOffsets = tensor(new[] { 1.0, 1.0, 0.0, 0.0 }, ScalarType.Float64, device).DetachFromDisposeScope();
        _coefficientSlopes = zeros(4, ScalarType.Float64, device).DetachFromDisposeScope();
        WriteBetasToDevice(Betas.Item1, Betas.Item2);
    }

    // The device's copies of the betas, rewritten only when a scheduler (or the Betas setter) changed them.
    private (double Beta1, double Beta2) _deviceBetas;

    private void WriteBetasToDevice(double beta1, double beta2)
    {
        using var noGrad = no_grad();
        using var logBetas = tensor(new[] { Math.Log(beta1), Math.Log(beta2) }, ScalarType.Float64);
        using var slopes = tensor(new[] { beta1 - 1, beta2 - 1, 1 - beta1, 1 - beta2 }, ScalarType.Float64);
        _logBetas!.copy_(logBetas);
        _coefficientSlopes!.copy_(slopes);
        _deviceBetas = (beta1, beta2);
    }

    /// <summary>How this optimizer is driven.</summary>
    public StepExecution Execution { get; }

    /// <summary>All gradients as one flat tensor under <see cref="StepExecution.DeviceResident"/>; null otherwise.</summary>
    internal Tensor? FlatGradients => _flat?.Gradients;

    private readonly Options _defaults;

    /// <summary>The settings of one parameter group; null values take the optimizer's.</summary>
    public sealed class Options : TorchSharp.Modules.OptimizerOptions
    {
        /// <summary>Decoupled weight decay (AdamW); null takes the optimizer's.</summary>
        public double? WeightDecay { get; set; }

        /// <summary>Decay of the first-moment estimate; null takes the optimizer's.</summary>
        public double? Beta1 { get; set; }

        /// <summary>Decay of the second-moment estimate; null takes the optimizer's.</summary>
        public double? Beta2 { get; set; }
    }

    /// <summary>
    /// Parameters that share a learning rate, betas and weight decay. As TorchSharp's <c>Adam.ParamGroup</c>, it is an
    /// <see cref="torch.optim.IBetas"/>, which is how <c>OneCycleLR</c> cycles the momentum (beta1) of each group.
    /// </summary>
    public sealed class ParamGroup : ParamGroup<Options>, torch.optim.IBetas
    {
        /// <summary>A group of <paramref name="parameters"/> with the optimizer's settings, or those <paramref name="options"/> give.</summary>
        public ParamGroup(IEnumerable<Parameter> parameters, Options? options = null) : base(parameters.ToArray(), options ?? new Options())
        {
        }

        /// <summary>The group's (beta1, beta2); a scheduler may change them between steps.</summary>
        public (double, double) Betas
        {
            get => (Options.Beta1!.Value, Options.Beta2!.Value);
            set => (Options.Beta1, Options.Beta2) = CheckedBetas(value);
        }
    }

    private static (double, double) CheckedBetas((double Beta1, double Beta2) betas) =>
        betas.Beta1 is >= 0 and < 1 && betas.Beta2 is >= 0 and < 1 ? betas
            : throw new ArgumentOutOfRangeException(nameof(betas), betas, "each beta must be in [0, 1).");

    // Fills what a group leaves unset from the optimizer's settings; a scheduler starts from InitialLearningRate.
    private void Complete(ParamGroup group)
    {
        group.Options.LearningRate ??= _defaults.LearningRate;
        group.Options.WeightDecay ??= _defaults.WeightDecay;
        group.Options.Beta1 ??= _defaults.Beta1;
        group.Options.Beta2 ??= _defaults.Beta2;
        group.Betas = group.Betas;
        group.Options.InitialLearningRate = group.Options.LearningRate!.Value;
        if (!(group.Options.LearningRate > 0) || !(group.Options.WeightDecay >= 0))
            throw new ArgumentOutOfRangeException(nameof(group), "a group's learning rate must be positive and its weight decay not negative.");
    }

    /// <summary>
    /// The learning rate of the next step: the first group's. Setting it sets every group's, as the trainer's own
    /// schedule does; with several groups, set each group's <see cref="TorchSharp.Modules.ParamGroup.LearningRate"/> or use a scheduler.
    /// </summary>
    public double LearningRate
    {
        get => _parameter_groups[0].LearningRate;
        set
        {
            foreach (var group in _parameter_groups) group.LearningRate = value;
        }
    }

    /// <summary>
    /// Decay of the first- and second-moment estimates (as TorchSharp's <see cref="torch.optim.IBetas"/>): the first group's.
    /// Setting them sets the optimizer's and every group's, and takes effect at the next step.
    /// </summary>
    public (double, double) Betas
    {
        get => ((ParamGroup)_parameter_groups[0]).Betas;
        set
        {
            (_defaults.Beta1, _defaults.Beta2) = CheckedBetas(value);
            foreach (var group in _parameter_groups) ((ParamGroup)group).Betas = value;
        }
    }

    private long _hostStepCount;

    /// <summary>Updates taken so far (skipped ones not counted). Under <see cref="StepExecution.DeviceResident"/> reading it waits for the device.</summary>
    public long StepCount => _deviceStepCount is null ? _hostStepCount : (long)_deviceStepCount.item<double>();

    /// <summary>The parameters this optimizer updates.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Zeroes every parameter's gradient.</summary>
    /// <exception cref="InvalidOperationException">The model was moved to another device or dtype after this optimizer was made.</exception>
    public void ZeroGrad()
    {
        // Moving a module replaces or re-types its parameters; an optimizer still holding the old ones would fail
        // with "empty handle", or worse, update tensors the model no longer uses. ZeroGrad starts every step.
        foreach (var parameter in _parameters)
        {
            if (parameter.IsInvalid || parameter.device_type != _device.type || parameter.device_index != _device.index || parameter.dtype != _dtype)
                throw new InvalidOperationException(
                    "the model was moved to another device or dtype after this optimizer was created; create the optimizer after the model's last move.");
        }
        if (_flat is not null)
        {
            _flat.Gradients.zero_();
            return;
        }
        foreach (var parameter in _parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>Takes one Adam step from the gradients now held by the parameters.</summary>
    public void Step()
    {
        if (_flat is not null)
        {
            using var always = ones([], ScalarType.Bool, _flat.Values.device);
            Step(always);
            return;
        }
        using var noGrad = no_grad();
        _hostStepCount++;
        // Per group, from its settings now (a scheduler may have changed them since the last step); the bias
        // corrections use the current betas, as torch.optim.Adam's do.
        var settings = new Dictionary<ParamGroup, GroupStep>();
        try
        {
            foreach (var group in _groupOf.Distinct()) settings[group] = new GroupStep(group, _hostStepCount);
            for (int i = 0; i < _parameters.Length; i++) Update(i, settings[_groupOf[i]]);
        }
        finally
        {
            foreach (var step in settings.Values) step.Dispose();
        }
    }

    // The scalars one group's update needs in one step. A double passed to a tensor operation becomes a Scalar that
    // only the finalizer frees (see the remarks), so they are made once per group and step and disposed after it.
    private sealed class GroupStep : IDisposable
    {
        public GroupStep(ParamGroup group, long stepCount)
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

    // One parameter's update, in torch.optim.AdamW's order: decay the weight, then the moments, then the step.
    private void Update(int i, GroupStep step)
    {
        using var grad = _parameters[i].grad;
        if (grad is null) return;
        if (step.Shrink is not null) _parameters[i].mul_(step.Shrink);
        _expAvg[i].mul_(step.Beta1).add_(grad, step.OneMinusBeta1);
        _expAvgSq[i].mul_(step.Beta2).addcmul_(grad, grad, step.OneMinusBeta2);
        using var denominator = _expAvgSq[i].sqrt();
        denominator.div_(step.BiasCorrection2Sqrt).add_(_eps, _one);
        _parameters[i].addcdiv_(_expAvg[i], denominator, step.NegativeStepSize);
    }

    /// <summary>
    /// Under <see cref="StepExecution.DeviceResident"/>: one Adam step over all parameters if <paramref name="apply"/>
    /// (a boolean scalar on the device) is true, and exactly nothing otherwise: moments, parameters and step count
    /// keep their values. The host never learns which, so nothing waits for the device.
    /// </summary>
    /// <remarks>
    /// A skipped step's gradients may hold NaN or infinities. Rather than select between old and new values, every
    /// coefficient is made neutral (decay 1, gain 0, step size 0) and the gradients are made finite, so the same
    /// launches run either way and an update multiplied by zero changes nothing.
    /// </remarks>
    internal void Step(Tensor apply)
    {
        if (_flat is null) throw new InvalidOperationException("a conditional step needs StepExecution.DeviceResident.");
        using var noGrad = no_grad();
        if (Betas != _deviceBetas) WriteBetasToDevice(Betas.Item1, Betas.Item2);
        using var scope = NewDisposeScope();
        var applied = apply.to(ScalarType.Float64);
        _deviceStepCount!.add_(applied);
        // In float64, as the host computes them: beta^t as exp(t ln beta) for both betas at once, from at least one
        // step so that a run whose every step so far was skipped divides by no zero; then 1 / (1 - beta^t).
        var inverseCorrections = _deviceStepCount.clamp_min(_one).mul(_logBetas!).exp_().neg_().add_(_one).reciprocal_();
        // A double passed to a tensor operation becomes a Scalar that only the finalizer frees (see the remarks).
        using var negativeLearningRate = (-LearningRate).ToScalar();
        // decay of m and v (beta, or 1 when skipped), gain of m and v (1 - beta, or 0), negative step size (or 0),
        // 1 / sqrt(bias correction 2); converted once to the parameters' dtype, so no kernel mixes dtypes.
        var coefficients = cat([
            addcmul(_coefficientOffsets!, applied, _coefficientSlopes!, _one),
            inverseCorrections.narrow(0, 0, 1).mul(applied).mul_(negativeLearningRate),
            inverseCorrections.narrow(0, 1, 1).sqrt_(),
        ]).to(_flat.Values.dtype);
        var (decay1, decay2, gain1, gain2, negativeStepSize, inverseBiasCorrection2Sqrt) =
            (coefficients[0], coefficients[1], coefficients[2], coefficients[3], coefficients[4], coefficients[5]);

        double weightDecay = ((ParamGroup)_parameter_groups[0]).Options.WeightDecay ?? 0;
        if (weightDecay != 0)
        {
            // AdamW's shrink, 1 - lr wd when applied and exactly 1 when skipped, before anything else moves.
            using var negativeDecay = (-LearningRate * weightDecay).ToScalar();
            _flat.Values.mul_(applied.mul(negativeDecay).add_(_one).to(_flat.Values.dtype));
        }
        var grad = _flat.Gradients.nan_to_num(0, 0, 0);
        _flatExpAvg!.mul_(decay1).addcmul_(grad, gain1, _one);
        _flatExpAvgSq!.mul_(decay2).addcmul_(grad.mul(gain2), grad, _one);
        var denominator = _flatExpAvgSq.sqrt().mul_(inverseBiasCorrection2Sqrt).add_(_eps, _one);
        _flat.Values.addcmul_(_flatExpAvg.div(denominator), negativeStepSize, _one);
    }

    /// <summary>First-moment estimates, one per parameter in <see cref="Parameters"/> order (for checkpoints).</summary>
    internal IReadOnlyList<Tensor> FirstMoments => _expAvg;

    /// <summary>Second-moment estimates, one per parameter (for checkpoints).</summary>
    internal IReadOnlyList<Tensor> SecondMoments => _expAvgSq;

    /// <summary>Sets the update count a checkpoint recorded; the moments are restored in place through <see cref="FirstMoments"/> and <see cref="SecondMoments"/>.</summary>
    internal void RestoreStepCount(long stepCount)
    {
        _hostStepCount = stepCount;
        _deviceStepCount?.fill_(stepCount);
    }

    /// <summary>Takes one step as <see cref="Step()"/>, after evaluating <paramref name="closure"/> (with gradients) when given; returns its loss.</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
        {
            using var withGradients = enable_grad();
            loss = closure();
        }
        Step();
        return loss!;
    }

    /// <summary>Zeroes every parameter's gradient (<see cref="ZeroGrad"/>).</summary>
    public override void zero_grad() => ZeroGrad();

    /// <summary>The parameters of every group, in order.</summary>
    public override IEnumerable<Parameter> parameters() => _parameters;

    /// <summary>Adds a group with zeroed moment estimates (<see cref="StepExecution.Synchronous"/> only).</summary>
    /// <exception cref="NotSupportedException">The optimizer is <see cref="StepExecution.DeviceResident"/>.</exception>
    public override void add_param_group(TorchSharp.Modules.ParamGroup param_group)
    {
        if (Execution != StepExecution.Synchronous)
            throw new NotSupportedException("StepExecution.DeviceResident updates one buffer made when the optimizer was; create a new optimizer instead.");
        var group = param_group as ParamGroup ?? new ParamGroup(param_group.Parameters, new Options { LearningRate = param_group.Options?.LearningRate });
        Complete(group);
        var added = group.Parameters.ToArray();
        using var noGrad = no_grad();
        _parameter_groups.Add(group);
        _parameters = [.. _parameters, .. added];
        _groupOf = [.. _groupOf, .. added.Select(_ => group)];
        _expAvg = [.. _expAvg, .. added.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _expAvgSq = [.. _expAvgSq, .. added.Select(p => zeros_like(p).DetachFromDisposeScope())];
    }

    /// <summary>Releases the moment estimates and the cached scalars.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var tensor in _expAvg.Concat(_expAvgSq)) tensor.Dispose();
            _flatExpAvg?.Dispose();
            _flatExpAvgSq?.Dispose();
            foreach (var tensor in new[] { _deviceStepCount, _logBetas, _coefficientOffsets, _coefficientSlopes }) tensor?.Dispose();
            _flat?.Dispose();
            foreach (var scalar in new[] { _eps, _one }) scalar.Dispose();
        }
        base.Dispose(disposing);
    }
}
