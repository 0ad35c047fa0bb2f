using System.Globalization;
using MnistRnn.IO;

namespace MnistRnn.Data;

/// <summary>
/// Reads CSV files of labelled rows for <see cref="SequenceDataset.FromCsv"/> (every row the same number of steps) and
/// <see cref="SequenceDataset.FromVariableLengthCsv"/> (each row as many steps as it holds).
/// </summary>
internal static class SequenceCsv
{
    /// <summary>The largest CSV file read: 2 GB of text is about 200 million numbers, more than a float array holds comfortably.</summary>
    public const long MaxFileBytes = 1L << 31;

    /// <summary>
    /// The rows of <paramref name="path"/>: with <paramref name="steps"/>, each must hold exactly that many steps; without,
    /// each holds a whole number of steps of <paramref name="features"/>, and shorter rows are padded with zeros to the
    /// longest (their lengths say where each ends, so the padding is never read).
    /// </summary>
    public static (float[] Values, int[] Labels, int[]? Lengths, int Steps) Read(string path, int? steps, int features, int classes)
    {
        if (steps < 1 || features < 1)
            throw new ArgumentException($"steps and features must be at least 1, got {steps} and {features}.");
        if ((long?)steps * features > Array.MaxLength)
            throw new ArgumentException($"{steps} steps of {features} features are more numbers than a row may hold.");
        using var reader = new StreamReader(RegularFile.OpenRead(path, MaxFileBytes, "CSV"));
        var rows = new List<float[]>();
        var labels = new List<int>();
        int lineNumber = 0;
        bool first = true;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (first) RefuseOtherSeparators(path, lineNumber, line);
            string[] fields = line.Split(',');
            bool labelParses = int.TryParse(fields[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label);
            bool header = first && !labelParses && lineNumber == 1;
            first = false;
            if (header) continue;
            int numbers = fields.Length - 1;
            if (steps is int fixedSteps && numbers != (long)fixedSteps * features)
                throw new InvalidDataException(
                    $"{path} line {lineNumber}: a row needs a label and {(long)fixedSteps * features} numbers ({fixedSteps} steps of {features}), found {fields.Length} fields.");
            if (steps is null && (numbers < features || numbers % features != 0))
                throw new InvalidDataException(
                    $"{path} line {lineNumber}: a row needs a label and a whole number of steps of {features} numbers, found {numbers} numbers.");
            if (!labelParses || label < 0 || label >= classes)
                throw new InvalidDataException($"{path} line {lineNumber}: the label '{fields[0].Trim()}' is not a whole number from 0 to {classes - 1}.");
            var row = new float[numbers];
            for (int i = 1; i < fields.Length; i++)
            {
                if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                    throw new InvalidDataException($"{path} line {lineNumber}, field {i + 1}: '{fields[i].Trim()}' is not a finite number (write decimals with a point).");
                row[i - 1] = value;
            }
            rows.Add(row);
            labels.Add(label);
        }
        if (labels.Count == 0) throw new InvalidDataException($"{path} holds no rows of data.");
        int longest = steps ?? rows.Max(r => r.Length) / features;
        int[] lengths = rows.Select(r => r.Length / features).ToArray();
        if ((long)rows.Count * longest * features > Array.MaxLength)
            throw new InvalidDataException($"{path}: {rows.Count} rows padded to {longest} steps of {features} are more numbers than one array holds.");
        var values = new float[rows.Count * longest * features];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(values, (long)i * longest * features);
        return (values, labels.ToArray(), steps is null && lengths.Any(l => l != longest) ? lengths : null, longest);
    }

    // A file separated by semicolons or tabs (often with decimal commas) would otherwise be taken for a header and no rows.
    private static void RefuseOtherSeparators(string path, int lineNumber, string line)
    {
        if (line.Contains(',')) return;
        string? separator = line.Contains(';') ? "semicolons" : line.Contains('\t') ? "tabs" : null;
        if (separator is not null)
            throw new InvalidDataException(
                $"{path} line {lineNumber}: the fields are separated by {separator}; this reader takes commas between fields and a point for decimals, so convert the file first.");
    }
}
