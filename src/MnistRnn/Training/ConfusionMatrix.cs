namespace MnistRnn.Training;

/// <summary>Counts of (true class, predicted class) pairs over an evaluation, with per-class precision and recall.</summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>An empty matrix for <paramref name="classes"/> classes.</summary>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        _counts = new long[classes, classes];
    }

    /// <summary>Number of classes.</summary>
    public int Classes => _counts.GetLength(0);

    /// <summary>How many items of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>Items counted.</summary>
    public long Total { get; private set; }

    /// <summary>Adds one item.</summary>
    public void Add(int actual, int predicted)
    {
        _counts[actual, predicted]++;
        Total++;
    }

    /// <summary>Items of class <paramref name="c"/>.</summary>
    public long Support(int c) => Enumerable.Range(0, Classes).Sum(p => _counts[c, p]);

    /// <summary>Of the items predicted as <paramref name="c"/>, the fraction that are; NaN when none were.</summary>
    public double Precision(int c)
    {
        long predicted = Enumerable.Range(0, Classes).Sum(a => _counts[a, c]);
        return predicted == 0 ? double.NaN : _counts[c, c] / (double)predicted;
    }

    /// <summary>Of the items of class <paramref name="c"/>, the fraction predicted as such; NaN when there are none.</summary>
    public double Recall(int c)
    {
        long support = Support(c);
        return support == 0 ? double.NaN : _counts[c, c] / (double)support;
    }
}
