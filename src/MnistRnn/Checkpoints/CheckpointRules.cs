using System.Buffers.Binary;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Checkpoints;

/// <summary>
/// What a checkpoint's header may say, checked against hard bounds and against itself before anything
/// is allocated: a valid SHA-256 proves the file is what its writer wrote, not that the writer told the
/// truth. The weights must be exactly those the architecture implies, the batch order a permutation and
/// the generator states ones libtorch accepts (it aborts the process on a bad one rather than throwing).
/// </summary>
internal static class CheckpointRules
{
    /// <summary>The most classes a checkpoint may declare: as many as a model may have.</summary>
    public const int MaxClasses = RecurrentClassifierOptions.MaxClasses;

    /// <summary>The most CPU threads a checkpoint's record of its thread count is believed up to; a larger count is ignored.</summary>
    public const int MaxThreads = 1024;

    /// <summary>The most steps per sequence (image rows) a checkpoint may declare.</summary>
    public const int MaxSteps = 1 << 24;

    /// <summary>The most training items a checkpoint may declare; its batch order holds one int64 each, within the checkpoint's size limit.</summary>
    public const int MaxItems = 1 << 28;

    private static readonly Lazy<long> GeneratorStateBytes = new(() =>
    {
        using var generator = new Generator(0);
        using var state = generator.get_state();
        return state.numel();
    });

    /// <summary>A missing part of the header (JSON null), or null when nothing is missing.</summary>
    public static string? MissingPart(CheckpointFile.CheckpointHeader header) =>
        header.Run is null && header.Options is null ? "it has no options"
        : header.Run is null && (header.Options!.Model is null || header.Options.Order is null) ? "it names no cell or order"
        : header.Tensors is null ? "it has no tensor list"
        : header.Tensors.Any(t => t is null || t.Name is null || t.Dtype is null || t.Shape is null) ? "a tensor has no name, type or shape"
        : header.LibraryVersion is null || header.TorchSharpVersion is null || header.LibTorchVersion is null || header.Device is null ? "a version or device is missing"
        // Names end up in messages, which must stay one line.
        : (header.Run is null && (!IsPlain(header.Options!.Model) || !IsPlain(header.Options.Order))) || !header.Tensors.All(t => IsPlain(t.Name))
            ? "a name with control characters or over 64 characters"
        : null;

    private static bool IsPlain(string name) => name.Length <= 64 && !name.Any(char.IsControl);

    /// <summary>What is wrong with the header's numbers, or null.</summary>
    public static string? NumbersProblem(CheckpointInfo info, int epoch, int position, long adamSteps)
    {
        var options = info.Options;
        int features = SequenceLayout.Shape(options.Order, info.ImageRows, info.ImageColumns).Features;
        return info.Step < 0 || info.Step > options.Steps ? $"step {info.Step} of {options.Steps}"
            : info.ImageRows is < 1 or > MaxSteps || info.ImageColumns is < 1 or > RecurrentClassifierOptions.MaxInputSize ? $"images of {info.ImageRows}x{info.ImageColumns}"
            : info.TrainCount is < 1 or > MaxItems ? $"{info.TrainCount} training images"
            : options.BatchSize > info.TrainCount ? $"batches of {options.BatchSize} from {info.TrainCount} images"
            : info.Classes is < 2 or > MaxClasses ? $"{info.Classes} classes"
            : info.InputSize != features ? $"input size {info.InputSize} where {options.Order.ToName()} order of {info.ImageColumns}-pixel rows gives {features}"
            : epoch < 0 || position < 0 || position > info.TrainCount ? $"batch position {position} of {info.TrainCount} in epoch {epoch}"
            : adamSteps < 0 || adamSteps > info.Step ? $"{adamSteps} optimizer steps after {info.Step} training steps"
            : info.DataFingerprint is { } fingerprint && (fingerprint.Length != 64 || !fingerprint.All(char.IsAsciiHexDigitLower))
                ? "a data fingerprint that is not a SHA-256 in lowercase hex"
            : null;
    }

    /// <summary>What is wrong with the validations a checkpoint recorded, or null: one per step at most, in step order, up to its step.</summary>
    public static string? ValidationsProblem(CheckpointInfo info, IReadOnlyList<Training.ValidationRecord> validations)
    {
        if (validations.Any(v => v is null)) return "an empty validation record";
        for (int i = 0; i < validations.Count; i++)
        {
            var v = validations[i];
            if (v.Step < 1 || v.Step > info.Step || (i > 0 && v.Step <= validations[i - 1].Step)) return $"validation at step {v.Step} out of order or after step {info.Step}";
            if (!(v.Accuracy is >= 0 and <= 1) || double.IsInfinity(v.Loss) || v.Loss < 0) return $"validation at step {v.Step} with loss {v.Loss} and accuracy {v.Accuracy}";
            if (v.IsBest != (v.ValidationsWithoutImprovement == 0) || v.ValidationsWithoutImprovement > i
                || (i > 0 && !v.IsBest && v.ValidationsWithoutImprovement != validations[i - 1].ValidationsWithoutImprovement + 1))
                return $"validation at step {v.Step} counts {v.ValidationsWithoutImprovement} validations without improvement";
        }
        return validations.Count > 0 && !validations[0].IsBest ? "the first validation is not the best so far" : null;
    }

    /// <summary>What is wrong with the tensors the header lists, read from <paramref name="bytes"/> where needed, or null.</summary>
    public static string? TensorsProblem(CheckpointInfo info, IReadOnlyDictionary<string, (long Offset, long[] Shape, ScalarType Dtype)> tensors, byte[] bytes)
    {
        var weights = tensors.Where(t => t.Key.StartsWith("model/", StringComparison.Ordinal)).ToList();
        long expected = info.ModelOptions.ParameterCount;
        long stored = weights.Sum(w => Count(w.Value.Shape));
        if (weights.Any(w => w.Value.Dtype != ScalarType.Float32) || stored != expected)
            return $"{stored} float32 weights where a {info.Architecture} model has {expected}";
        var known = new HashSet<string>(weights.Select(w => w.Key)) { "batches/generator", "torch/generator", "batches/order" };
        // The best validation's weights (with TrainingOptions.RestoreBestWeights): all of them or none, each shaped as its weight.
        var best = tensors.Where(t => t.Key.StartsWith("best/", StringComparison.Ordinal)).ToList();
        if (best.Count > 0)
        {
            foreach (var (name, weight) in weights)
            {
                string bestName = "best/" + name["model/".Length..];
                if (!tensors.TryGetValue(bestName, out var kept) || kept.Dtype != ScalarType.Float32 || !kept.Shape.SequenceEqual(weight.Shape))
                    return $"best weights {bestName} missing or not shaped as {name}";
                known.Add(bestName);
            }
        }
        for (int i = 0; i < weights.Count; i++)
        {
            foreach (string name in new[] { $"adam/m/{i}", $"adam/v/{i}" })
            {
                if (!tensors.TryGetValue(name, out var moment) || moment.Dtype != ScalarType.Float32)
                    return $"optimizer state {name} is missing or not float32";
                known.Add(name);
            }
        }
        if (tensors.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown) return $"unknown tensor {unknown}";
        foreach (string name in new[] { "batches/generator", "torch/generator" })
        {
            if (!tensors.TryGetValue(name, out var generator) || GeneratorProblem(generator, bytes) is not { } problem) continue;
            return $"{name}: {problem}";
        }
        if (!tensors.ContainsKey("batches/generator") || !tensors.ContainsKey("torch/generator")) return "a generator state is missing";
        return tensors.TryGetValue("batches/order", out var order) ? OrderProblem(order, info.TrainCount, bytes) : null;
    }

    private static long Count(long[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    // The layout of libtorch's CPUGeneratorImplState: seed (u64), left (i32), seeded (i32), next (u64), then
    // the Mersenne Twister's 624 words; set_state requires 1 <= left <= 624, seeded and next <= 624.
    private static string? GeneratorProblem((long Offset, long[] Shape, ScalarType Dtype) entry, byte[] bytes)
    {
        if (entry.Dtype != ScalarType.Byte || entry.Shape.Length != 1 || entry.Shape[0] != GeneratorStateBytes.Value)
            return $"not a generator state of {GeneratorStateBytes.Value} bytes";
        var state = bytes.AsSpan((int)entry.Offset, (int)entry.Shape[0]);
        int left = BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        int seeded = BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        ulong next = BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        return left is >= 1 and <= 624 && seeded != 0 && next <= 624 ? null : "not a valid Mersenne Twister state";
    }

    private static string? OrderProblem((long Offset, long[] Shape, ScalarType Dtype) entry, int count, byte[] bytes)
    {
        if (entry.Dtype != ScalarType.Int64 || entry.Shape.Length != 1 || entry.Shape[0] != count)
            return $"the batch order is not {count} int64 indices";
        var seen = new bool[count];
        var order = bytes.AsSpan((int)entry.Offset, count * sizeof(long));
        for (int i = 0; i < count; i++)
        {
            long index = BinaryPrimitives.ReadInt64LittleEndian(order[(i * sizeof(long))..]);
            if (index < 0 || index >= count || seen[index]) return "the batch order is not a permutation of the training images";
            seen[index] = true;
        }
        return null;
    }
}
