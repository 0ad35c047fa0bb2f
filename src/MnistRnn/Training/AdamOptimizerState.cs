using MnistRnn.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

// The optimizer's state as TorchSharp's optimizers expose theirs (state_dict, load_state_dict, save_state_dict), and as
// the owner of its section of a checkpoint.
public sealed partial class AdamOptimizer : IStateOwner
{
    /// <summary>
    /// One parameter's Adam state, as TorchSharp's <c>Adam.State</c>: its moment estimates (live, on the parameter's device)
    /// and the optimizer's update count. <see cref="OptimizerHelper.state_dict"/> lists one per parameter in
    /// <see cref="Parameters"/> order; <see cref="OptimizerHelper.load_state_dict(OptimizerHelper.StateDictionary)"/> copies
    /// another optimizer's into this one's.
    /// </summary>
    public sealed class State : OptimizerState
    {
        private readonly AdamOptimizer _optimizer;
        private readonly int _index;

        internal State(AdamOptimizer optimizer, int index) : base(optimizer._parameters[index])
        {
            _optimizer = optimizer;
            _index = index;
        }

        /// <summary>The first-moment estimate.</summary>
        public Tensor ExpAvg => _optimizer._expAvg[_index];

        /// <summary>The second-moment estimate.</summary>
        public Tensor ExpAvgSq => _optimizer._expAvgSq[_index];

        /// <summary>Updates the optimizer has applied (one count for all parameters; under the device-resident mode reading it waits for the device).</summary>
        public long Step => _optimizer.StepCount;

        /// <summary>Writes the update count and both moments.</summary>
        public override void SaveStateDict(BinaryWriter writer)
        {
            writer.Write(Step);
            WriteTensor(writer, ExpAvg);
            WriteTensor(writer, ExpAvgSq);
        }

        /// <summary>Reads what <see cref="SaveStateDict(BinaryWriter)"/> wrote, each moment checked against its parameter's size before it is read.</summary>
        /// <exception cref="InvalidDataException">The count is negative or a moment has another size.</exception>
        public override void LoadStateDict(BinaryReader reader)
        {
            long step = reader.ReadInt64();
            if (step < 0) throw new InvalidDataException($"the saved update count {step} is negative.");
            ReadTensor(reader, ExpAvg);
            ReadTensor(reader, ExpAvgSq);
            _optimizer.SetStepCount(step);
        }

        /// <summary>Copies another <see cref="AdamOptimizer"/>'s state of a parameter shaped as this one.</summary>
        /// <exception cref="ArgumentException">It is not an <see cref="AdamOptimizer"/>'s, or its moments have another shape.</exception>
        public override void LoadStateDict(OptimizerState source)
        {
            if (source is not State other) throw new ArgumentException("the state is not an AdamOptimizer's.", nameof(source));
            if (!other.ExpAvg.shape.SequenceEqual(ExpAvg.shape))
                throw new ArgumentException($"the state's moments have shape ({string.Join(", ", other.ExpAvg.shape)}), not ({string.Join(", ", ExpAvg.shape)}).", nameof(source));
            using var noGrad = no_grad();
            ExpAvg.copy_(other.ExpAvg);
            ExpAvgSq.copy_(other.ExpAvgSq);
            _optimizer.SetStepCount(other.Step);
        }

        /// <summary>Nothing to prepare: the moments start at zero when the optimizer is made.</summary>
        public override void Initialize(OptimizerOptions options)
        {
        }

        /// <summary>Not supported: the moments live where the parameters do; create the optimizer after the model's last move.</summary>
        public override void to(Device device) =>
            throw new NotSupportedException("an AdamOptimizer's state lives with its parameters; create the optimizer after the model's last move.");

        /// <summary>Whether both states hold the same count and moments to within 1e-6.</summary>
        public override bool ApproximatelyEquals(OptimizerState other) =>
            other is State state && state.Step == Step && state.ExpAvg.allclose(ExpAvg, 0, 1e-6) && state.ExpAvgSq.allclose(ExpAvgSq, 0, 1e-6);

        private static void WriteTensor(BinaryWriter writer, Tensor tensor)
        {
            using var cpu = tensor.detach().cpu().contiguous();
            writer.Write(cpu.numel());
            writer.Write(cpu.bytes);
        }

        private static void ReadTensor(BinaryReader reader, Tensor destination)
        {
            long count = reader.ReadInt64();
            if (count != destination.numel())
                throw new InvalidDataException($"a saved moment has {count} elements where its parameter has {destination.numel()}; load the state of an optimizer over the same parameters.");
            byte[] bytes = reader.ReadBytes(checked((int)(count * destination.element_size())));
            if (bytes.Length != count * destination.element_size()) throw new EndOfStreamException("the saved state ends inside a moment.");
            using var noGrad = no_grad();
            using var loaded = empty(destination.shape, destination.dtype);
            loaded.bytes = bytes;
            destination.copy_(loaded);
        }
    }

    /// <summary>The optimizer's section of a checkpoint: each parameter's moment estimates, in <see cref="Parameters"/> order, and the update count.</summary>
    internal const string SectionName = "adam";

    /// <summary>The rule of its section: moments for each of the model's weights, and a step count the checkpoint's step allows.</summary>
    internal static readonly SectionRule Rule = new(SectionName, Required: true, (section, at) => SectionProblem(section, at.Model.StoredTensors.Count, at.Info.Step));

    string IStateOwner.SectionName => SectionName;

    void IStateOwner.SaveState(StateSection section)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            section.Save($"m/{i}", _expAvg[i]);
            section.Save($"v/{i}", _expAvgSq[i]);
        }
        section.SaveValue("steps", StepCount);
    }

    void IStateOwner.LoadState(StateSection section)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            section.LoadInto($"m/{i}", _expAvg[i]);
            section.LoadInto($"v/{i}", _expAvgSq[i]);
        }
        SetStepCount(section.LoadValue<long>("steps"));
    }

    /// <summary>What is wrong with an optimizer section for <paramref name="parameters"/> parameters after <paramref name="step"/> training steps.</summary>
    internal static string? SectionProblem(StateSection section, int parameters, int step)
    {
        if (section.TryLoad<long>("steps") is not long steps || steps < 0 || steps > step) return $"{section.TryLoad<long>("steps")} optimizer steps after {step} training steps";
        var known = new HashSet<string>();
        for (int i = 0; i < parameters; i++)
        {
            foreach (string name in new[] { $"m/{i}", $"v/{i}" })
            {
                if (!section.StoredTensors.TryGetValue(name, out var moment) || moment.Dtype != ScalarType.Float32)
                    return $"optimizer state {name} is missing or not float32";
                // The second moment is a running mean of squares, never negative; neither moment is ever NaN (a NaN step is skipped).
                if (!moment.AllFloats(name[0] == 'v' ? v => v >= 0 : m => !float.IsNaN(m)))
                    return $"optimizer state {name} holds {(name[0] == 'v' ? "negative or NaN" : "NaN")} numbers, which Adam never keeps";
                known.Add(name);
            }
        }
        return section.StoredTensors.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown ? $"unknown tensor {unknown}" : null;
    }

    private void SetStepCount(long stepCount)
    {
        foreach (var (_, update) in _updates) update.SetStepCount(stepCount);
    }

}
