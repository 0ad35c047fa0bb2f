using System.Text.Json.Nodes;

namespace MnistRnn.Runner.Sweep;

/// <summary>
/// One trial of a sweep: its number (stable for the same plan), the configuration it belongs to (its label; trials of one
/// configuration differ only in seed), its seed, the CPU threads it computes with, and its complete settings as the file
/// <c>train --config</c> reads.
/// </summary>
internal sealed record SweepTrial(int Number, string Configuration, long Seed, int Threads, JsonObject Settings)
{
    /// <summary>How the trial reads in a line: <c>trial 3 (gru lr=0.005, seed 2, 1 thread)</c>.</summary>
    public override string ToString() => $"trial {Number} ({Configuration}, seed {Seed}, {Threads} thread{(Threads == 1 ? "" : "s")})";
}
