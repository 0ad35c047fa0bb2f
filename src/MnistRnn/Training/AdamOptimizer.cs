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
/// Why not TorchSharp's own Adam: every <c>double</c> it passes to a tensor operation becomes a <see cref="Scalar"/>, a
/// small native object that no dispose scope tracks and only the finalizer frees, so a training loop's memory grows
/// until a garbage collection runs; this class creates its constant scalars once and disposes the per-step ones
/// (docs/performance.md measures both).
/// <para>
/// One optimizer, two ways to update, each group through one implementation of one contract: one tensor at a time
/// (<see cref="StepExecution.Synchronous"/>), or with <see cref="StepExecution.DeviceResident"/> each group at once
/// through flat buffers and an on-device step count, which let <see cref="Step(Tensor)"/> skip an update without the host
/// knowing whether it did. Every member works in both modes: schedulers, checkpoints and users see one Adam with one set
/// of groups and settings; only the update differs. Create the optimizer after the model's last move to a device or dtype.
/// </para>
/// <para>Its state (moments and update count) is saved and loaded as TorchSharp's optimizers' is: <c>state_dict()</c> and
/// <c>load_state_dict(dict)</c> in memory, <c>save_state_dict(path)</c> and <c>load_state_dict(path)</c> in a file (see <see cref="State"/>).</para>
/// </remarks>
public sealed partial class AdamOptimizer : OptimizerHelper, torch.optim.IBetas
{
    private Parameter[] _parameters = [];
    // The update of each group that has parameters, in group order; the moments below are theirs, in _parameters order.
    private readonly List<(ParamGroup Group, IAdamUpdate Update)> _updates = [];
    private Tensor[] _expAvg = [];
    private Tensor[] _expAvgSq = [];
    private readonly Scalar _eps;
    private readonly Scalar _one;
    private readonly Device _device;
    private readonly ScalarType _dtype;

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
    /// <param name="groups">The groups; under <see cref="StepExecution.DeviceResident"/> each is one buffer.</param>
    /// <param name="learningRate">The step size of groups that give none.</param>
    /// <param name="execution"><see cref="StepExecution.Synchronous"/> or <see cref="StepExecution.DeviceResident"/>.</param>
    /// <param name="beta1">Decay of the first-moment estimate.</param>
    /// <param name="beta2">Decay of the second-moment estimate.</param>
    /// <param name="eps">Added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay of groups that give none; 0 for plain Adam.</param>
    public AdamOptimizer(IEnumerable<ParamGroup> groups, double learningRate, StepExecution execution = StepExecution.Synchronous, double beta1 = 0.9,
        double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : base()
    {
        if (execution is not (StepExecution.Synchronous or StepExecution.DeviceResident))
            throw new ArgumentOutOfRangeException(nameof(execution), execution, "must be Synchronous or DeviceResident; resolve Auto for the device first.");
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be positive.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1).");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must not be negative.");
        var groupList = groups.ToList();
        _settings = new Options { LearningRate = learningRate, InitialLearningRate = learningRate, WeightDecay = weightDecay, Beta1 = beta1, Beta2 = beta2 };
        foreach (var group in groupList) Complete(group);
        var first = groupList.SelectMany(g => g.Parameters).FirstOrDefault()
            ?? throw new ArgumentException("there are no parameters to optimize.", nameof(groups));
        (_device, _dtype) = (first.device, first.dtype);
        _eps = eps.ToScalar();
        _one = 1.0.ToScalar();
        Execution = execution;
        _parameter_groups = [];
        foreach (var group in groupList) Add(group);
    }

    // Adds a group with zeroed moments, updated the way Execution says; its count starts at the optimizer's.
    private void Add(ParamGroup group)
    {
        _parameter_groups.Add(group);
        var added = group.Parameters.ToArray();
        if (added.Length == 0) return;
        IAdamUpdate update = Execution == StepExecution.Synchronous ? new TensorwiseAdamUpdate(added) : new ResidentAdamUpdate(added, group.Betas);
        if (_updates.Count > 0) update.SetStepCount(StepCount);
        _updates.Add((group, update));
        _parameters = [.. _parameters, .. added];
        _expAvg = [.. _expAvg, .. update.FirstMoments];
        _expAvgSq = [.. _expAvgSq, .. update.SecondMoments];
        for (int i = _parameters.Length - added.Length; i < _parameters.Length; i++) _state[_parameters[i].Handle] = new State(this, i);
    }

    /// <summary>How this optimizer is driven.</summary>
    public StepExecution Execution { get; }

    /// <summary>All gradients as one flat tensor under <see cref="StepExecution.DeviceResident"/> with one group; null otherwise.</summary>
    internal Tensor? FlatGradients => _updates is [(_, ResidentAdamUpdate resident)] ? resident.Gradients : null;

    private readonly Options _settings;

    /// <summary>The settings of one parameter group; null values take the optimizer's.</summary>
    public sealed class Options : TorchSharp.Modules.OptimizerOptions
    {
        /// <summary>Decoupled weight decay (AdamW); null takes the optimizer's.</summary>
        public double? WeightDecay { get; set; }

        /// <summary>Decay of the first-moment estimate; null takes the optimizer's.</summary>
        public double? Beta1 { get; set; }

        /// <summary>Decay of the second-moment estimate; null takes the optimizer's.</summary>
        public double? Beta2 { get; set; }

        /// <summary>Writes the group's settings (learning rates, weight decay, betas), as TorchSharp's optimizers' options do.</summary>
        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(WeightDecay ?? 0);
            writer.Write(Beta1 ?? 0);
            writer.Write(Beta2 ?? 0);
        }

        /// <summary>Reads what <see cref="SaveStateDict(BinaryWriter)"/> wrote.</summary>
        /// <exception cref="InvalidDataException">A setting is out of its range.</exception>
        public override void LoadStateDict(BinaryReader reader)
        {
            double initial = reader.ReadDouble(), rate = reader.ReadDouble(), decay = reader.ReadDouble(), beta1 = reader.ReadDouble(), beta2 = reader.ReadDouble();
            if (!(initial > 0) || !(rate > 0) || !(decay >= 0) || beta1 is not (>= 0 and < 1) || beta2 is not (>= 0 and < 1))
                throw new InvalidDataException("the saved Adam settings are out of range (learning rates must be positive, weight decay not negative, betas in [0, 1)).");
            (InitialLearningRate, LearningRate, WeightDecay, Beta1, Beta2) = (initial, rate, decay, beta1, beta2);
        }

        /// <summary>Takes the settings of another group's options.</summary>
        public override void LoadStateDict(TorchSharp.Modules.OptimizerOptions source)
        {
            base.LoadStateDict(source);
            if (source is not Options options) return;
            (WeightDecay, Beta1, Beta2) = (options.WeightDecay, options.Beta1, options.Beta2);
        }
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
        group.Options.LearningRate ??= _settings.LearningRate;
        group.Options.WeightDecay ??= _settings.WeightDecay;
        group.Options.Beta1 ??= _settings.Beta1;
        group.Options.Beta2 ??= _settings.Beta2;
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
            (_settings.Beta1, _settings.Beta2) = CheckedBetas(value);
            foreach (var group in _parameter_groups) ((ParamGroup)group).Betas = value;
        }
    }

    /// <summary>Updates taken so far (skipped ones not counted). Under <see cref="StepExecution.DeviceResident"/> reading it waits for the device.</summary>
    public long StepCount => _updates[0].Update.StepCount;

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
        foreach (var (_, update) in _updates) update.ZeroGrad();
    }

    /// <summary>Takes one Adam step from the gradients now held by the parameters.</summary>
    public void Step() => Step(null);

    /// <summary>
    /// One Adam step if <paramref name="apply"/> (a boolean scalar on the device) is true, and exactly nothing otherwise:
    /// moments, parameters and step count keep their values. Under <see cref="StepExecution.DeviceResident"/> the host never
    /// learns which, so nothing waits for the device; under <see cref="StepExecution.Synchronous"/> it reads the boolean.
    /// </summary>
    internal void Step(Tensor? apply)
    {
        foreach (var (group, update) in _updates) update.Step(group, apply, _eps, _one);
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

    /// <summary>
    /// Adds a group with zeroed moment estimates, updated as the others are (under <see cref="StepExecution.DeviceResident"/>
    /// as a buffer of its own); the optimizer's one update count is its count too, as for every parameter.
    /// </summary>
    public override void add_param_group(TorchSharp.Modules.ParamGroup param_group)
    {
        var group = param_group as ParamGroup ?? new ParamGroup(param_group.Parameters, new Options { LearningRate = param_group.Options?.LearningRate });
        Complete(group);
        Add(group);
    }

    /// <summary>Releases the moment estimates and the cached scalars.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, update) in _updates) update.Dispose();
            foreach (var scalar in new[] { _eps, _one }) scalar.Dispose();
        }
        base.Dispose(disposing);
    }
}
