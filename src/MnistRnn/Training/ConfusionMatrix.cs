using System.Globalization;
using System.Text;

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

    /// <summary>
    /// The matrix as a table, one row per true class and one column per predicted class: aligned text, or CSV with
    /// <paramref name="csv"/> (header <c>actual\predicted,0,1,...</c>).
    /// </summary>
    public string ToTable(bool csv = false)
    {
        var classes = Enumerable.Range(0, Classes).ToArray();
        int width = Math.Max(4, Total.ToString(CultureInfo.InvariantCulture).Length);
        var text = new StringBuilder();
        text.Append(csv ? "actual\\predicted," + string.Join(',', classes)
            : "true".PadLeft(5) + string.Concat(classes.Select(c => c.ToString(CultureInfo.InvariantCulture).PadLeft(width + 1)))).Append('\n');
        foreach (int actual in classes)
        {
            text.Append(csv ? $"{actual}," + string.Join(',', classes.Select(p => _counts[actual, p]))
                : $"{actual,5}" + string.Concat(classes.Select(p => _counts[actual, p].ToString(CultureInfo.InvariantCulture).PadLeft(width + 1)))).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Precision, recall and support of every class, as aligned text or, with <paramref name="csv"/>, CSV (empty where a figure is undefined).</summary>
    public string PerClassTable(bool csv = false)
    {
        static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("F4", CultureInfo.InvariantCulture);
        var text = new StringBuilder(csv ? "class,precision,recall,support\n" : "class  precision  recall  support\n");
        for (int c = 0; c < Classes; c++)
        {
            text.Append(csv
                ? $"{c},{Number(Precision(c))},{Number(Recall(c))},{Support(c)}\n"
                : $"{c,5}  {Number(Precision(c)),9}  {Number(Recall(c)),6}  {Support(c),7}\n");
        }
        return text.ToString();
    }

    /// <summary>The matrix as an aligned text table (see <see cref="ToTable"/>).</summary>
    public override string ToString() => ToTable();
}
