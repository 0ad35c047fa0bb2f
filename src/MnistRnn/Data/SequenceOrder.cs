namespace MnistRnn.Data;

/// <summary>How an image becomes a sequence for a recurrent network.</summary>
public enum SequenceOrder
{
    /// <summary>One step per row: 28 steps of 28 pixels for MNIST (the experiment's order).</summary>
    Rows,

    /// <summary>One step per pixel in reading order: 784 steps of 1 (sequential MNIST).</summary>
    Pixels,

    /// <summary>One step per pixel in a fixed, seeded permutation: 784 steps of 1 (permuted MNIST, pMNIST).</summary>
    Permuted,
}

/// <summary>Names of sequence orders as users type and read them.</summary>
public static class SequenceOrderNames
{
    /// <summary>The lowercase name used on the command line: rows, pixels, permuted.</summary>
    public static string ToName(this SequenceOrder order) => order.ToString().ToLowerInvariant();

    /// <summary>Parses a name in any case; false when it names no order.</summary>
    public static bool TryParse(string name, out SequenceOrder order) =>
        Models.EnumNames.TryParse(name, out order);
}
