using System.Security.Cryptography;
using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// The identity of a training split: SHA-256 of its images as float32 and its labels as int64. A checkpoint
/// records it so that a run is never resumed on other data of the same shape, which would train on silently.
/// </summary>
internal static class DataFingerprint
{
    // Hashed a slice at a time, so a GPU-resident split is never copied to the host whole.
    private const long SliceElements = 1 << 22;

    /// <summary>The lowercase hex fingerprint of <paramref name="split"/>.</summary>
    public static string Of(DatasetSplit split)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, split.Images.flatten());
        Append(hash, split.Labels.flatten());
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, Tensor values)
    {
        using var scope = NewDisposeScope();
        long count = values.numel();
        for (long start = 0; start < count; start += SliceElements)
        {
            using var slice = values.narrow(0, start, Math.Min(SliceElements, count - start)).cpu().contiguous();
            hash.AppendData(slice.bytes);
        }
    }
}
