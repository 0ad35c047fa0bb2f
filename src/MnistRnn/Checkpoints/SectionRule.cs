namespace MnistRnn.Checkpoints;

/// <summary>What a section is checked against: the checkpoint's header, and its model's section (every checkpoint has one).</summary>
internal sealed record SectionContext(CheckpointInfo Info, StateSection Model);

/// <summary>
/// One state owner's rule for its section of a checkpoint, declared beside the owner: the section's name, whether every
/// checkpoint has it, and what is wrong with it (a phrase), or null.
/// </summary>
internal sealed record SectionRule(string Name, bool Required, Func<StateSection, SectionContext, string?> Problem);
