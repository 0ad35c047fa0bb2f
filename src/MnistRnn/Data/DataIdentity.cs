using System.Security.Cryptography;
using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// What a checkpoint records of the data a run trains on, so that it is never resumed on other data, which would train
/// on silently: the item count, the shape of an item as the data came (images' rows and columns, or a sequence's steps
/// and features), and SHA-256 of its values as float32 (images kept as bytes are scaled as a batch would be, so the
/// fingerprint does not depend on how they are kept) and its labels as int64.
/// </summary>
internal sealed record DataIdentity(int Count, int Rows, int Columns, string Fingerprint)
{
    // Hashed a slice at a time, so data on a GPU is never copied to the host whole.
    private const long SliceElements = 1 << 22;

    /// <summary>The identity of (count, rows, columns) <paramref name="values"/> and their <paramref name="labels"/>.</summary>
    public static DataIdentity Of(Tensor values, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, values.flatten(), PixelBytes.AsFloat32);
        Append(hash, labels.flatten(), slice => slice);
        return new((int)values.shape[0], (int)values.shape[1], (int)values.shape[2], Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static void Append(IncrementalHash hash, Tensor values, Func<Tensor, Tensor> asHashed)
    {
        long count = values.numel();
        for (long start = 0; start < count; start += SliceElements)
        {
            // A scope per slice: a slice scaled from bytes is a new tensor, and a run's worth of them would be the float32 copy.
            using var scope = NewDisposeScope();
            var slice = asHashed(values.narrow(0, start, Math.Min(SliceElements, count - start))).cpu().contiguous();
            hash.AppendData(slice.bytes);
        }
    }
}
