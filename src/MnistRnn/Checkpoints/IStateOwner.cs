namespace MnistRnn.Checkpoints;

/// <summary>
/// A stateful part of a run that saves and restores its own <see cref="StateSection"/> of a checkpoint, and nothing else:
/// the model, the optimizer, the batch order, the validation history, the learning rate, the generators, the clock,
/// the weight average, and every callback with state.
/// </summary>
internal interface IStateOwner
{
    /// <summary>The section's name: a word, unique in the checkpoint.</summary>
    string SectionName { get; }

    /// <summary>Whether a resumed run goes on without this section when the checkpoint has none (it starts this part afresh).</summary>
    bool IsOptional => false;

    /// <summary>Writes this part's state into <paramref name="section"/>.</summary>
    void SaveState(StateSection section);

    /// <summary>Continues from <paramref name="section"/>, which the checkpoint's reader has checked with the section's rules.</summary>
    void LoadState(StateSection section);
}
