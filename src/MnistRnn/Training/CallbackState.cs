using System.Text.RegularExpressions;
using MnistRnn.Checkpoints;

namespace MnistRnn.Training;

/// <summary>A <see cref="TrainingCallback"/> as the owner of its checkpoint section, <c>callback.KEY</c>.</summary>
internal sealed partial class CallbackState(TrainingCallback callback, string key) : IStateOwner
{
    public string SectionName { get; } = CheckpointRules.CallbackPrefix + key;

    public bool IsOptional => true;

    public void SaveState(StateSection section) => callback.SaveState(section);

    public void LoadState(StateSection section) => callback.LoadState(section);

    /// <summary>An owner for each callback that overrides <see cref="TrainingCallback.SaveState"/>, each under its own key.</summary>
    /// <exception cref="ArgumentException">A key is not a plain word, or two such callbacks share one.</exception>
    public static IEnumerable<IStateOwner> Owners(IEnumerable<TrainingCallback> callbacks)
    {
        var keys = new HashSet<string>();
        var owners = new List<IStateOwner>();
        foreach (var callback in callbacks.Where(SavesState))
        {
            string key = callback.StateKey;
            if (key is null || !KeyPattern().IsMatch(key))
                throw new ArgumentException($"{callback.GetType().Name}.StateKey '{key}' is not 1 to 55 letters, digits, '_', '-' or '.'.");
            if (!keys.Add(key))
                throw new ArgumentException($"two callbacks of this run have the StateKey '{key}'; override StateKey so that each one's saved state has its own name.");
            owners.Add(new CallbackState(callback, key));
        }
        return owners;
    }

    /// <summary>
    /// Saves each callback's state once into a section that is thrown away, so that a state a checkpoint cannot hold is
    /// refused before training starts rather than when the first checkpoint is due.
    /// </summary>
    /// <exception cref="ArgumentException">A value cannot be saved; the message names the callback's section and the value.</exception>
    public static void EnsureSaveable(IEnumerable<IStateOwner> owners)
    {
        foreach (var owner in owners.OfType<CallbackState>())
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            owner.SaveState(new StateSection(owner.SectionName, "a trial save"));
        }
    }

    private static bool SavesState(TrainingCallback callback) =>
        callback.GetType().GetMethod(nameof(TrainingCallback.SaveState))!.DeclaringType != typeof(TrainingCallback);

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,55}$")]
    private static partial Regex KeyPattern();
}
