using System.Globalization;
using MnistRnn.IO;

namespace MnistRnn.Data;

/// <summary>Reads CSV files of fixed-width labelled rows for <see cref="SequenceDataset.FromCsv"/>.</summary>
internal static class SequenceCsv
{
    /// <summary>The largest CSV file read: 2 GB of text is about 200 million numbers, more than a float array holds comfortably.</summary>
    public const long MaxFileBytes = 1L << 31;

    public static (float[] Values, int[] Labels) Read(string path, int steps, int features, int classes)
    {
        if (steps < 1 || features < 1)
            throw new ArgumentException($"steps and features must be at least 1, got {steps} and {features}.");
        long width = (long)steps * features;
        if (width > Array.MaxLength)
            throw new ArgumentException($"{steps} steps of {features} features are more numbers than a row may hold.");
        using var reader = new StreamReader(RegularFile.OpenRead(path, MaxFileBytes, "CSV"));
        var values = new List<float>();
        var labels = new List<int>();
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] fields = line.Split(',');
            bool labelParses = int.TryParse(fields[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label);
            if (!labelParses && labels.Count == 0 && lineNumber == 1) continue; // a header
            if (fields.Length != width + 1)
                throw new InvalidDataException($"{path} line {lineNumber}: a row needs a label and {width} numbers ({steps} steps of {features}), found {fields.Length} fields.");
            if (!labelParses || label < 0 || label >= classes)
                throw new InvalidDataException($"{path} line {lineNumber}: the label '{fields[0].Trim()}' is not a whole number from 0 to {classes - 1}.");
            for (int i = 1; i < fields.Length; i++)
            {
                if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                    throw new InvalidDataException($"{path} line {lineNumber}, field {i + 1}: '{fields[i].Trim()}' is not a finite number (write decimals with a point).");
                values.Add(value);
            }
            labels.Add(label);
        }
        if (labels.Count == 0) throw new InvalidDataException($"{path} holds no rows of data.");
        return (values.ToArray(), labels.ToArray());
    }
}
