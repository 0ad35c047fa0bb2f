using System.Buffers.Binary;
using static TorchSharp.torch;

namespace MnistRnn.Checkpoints;

/// <summary>
/// A random generator's state as a checkpoint holds it, checked before libtorch sees it: libtorch aborts the process on a
/// bad one rather than throwing.
/// </summary>
internal static class GeneratorState
{
    private static readonly Lazy<long> Bytes = new(() =>
    {
        using var generator = new Generator(0);
        using var state = generator.get_state();
        return state.numel();
    });

    // The layout of libtorch's CPUGeneratorImplState: seed (u64), left (i32), seeded (i32), next (u64), then
    // the Mersenne Twister's 624 words; set_state requires 1 <= left <= 624, seeded and next <= 624.
    public static string? Problem(StateSection section, string name)
    {
        if (!section.StoredTensors.TryGetValue(name, out var stored)) return $"it has no generator state {name}";
        if (stored.Dtype != ScalarType.Byte || stored.Shape.Length != 1 || stored.Shape[0] != Bytes.Value)
            return $"{name} is not a generator state of {Bytes.Value} bytes";
        var state = stored.Bytes.Span;
        int left = BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        int seeded = BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        ulong next = BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        return left is >= 1 and <= 624 && seeded != 0 && next <= 624 ? null : $"{name} is not a valid Mersenne Twister state";
    }

    public static void Load(StateSection section, string name, Generator generator)
    {
        using var state = section.Load(name, [Bytes.Value], ScalarType.Byte);
        generator.set_state(state);
    }
}
