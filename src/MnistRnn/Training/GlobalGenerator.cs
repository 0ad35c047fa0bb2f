using MnistRnn.Checkpoints;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>The section of libtorch's global generator, which dropout draws from: restored, a resumed run draws what the uninterrupted one would.</summary>
internal sealed class GlobalGenerator : IStateOwner
{
    public const string Name = "torch";

    /// <summary>The rule of its section.</summary>
    internal static readonly SectionRule Rule = new(Name, Required: true, (section, _) => Problem(section));
    private const string State = "generator";

    public string SectionName => Name;

    public void SaveState(StateSection section) => section.Save(State, random.get_rng_state());

    public void LoadState(StateSection section)
    {
        using var state = section.Load(State, section.ShapeOf(State), ScalarType.Byte);
        random.set_rng_state(state);
    }

    public static string? Problem(StateSection section) => GeneratorState.Problem(section, State);
}
