using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MnistRnn.Runner.Options;

/// <summary>
/// Options that take a decimal number written the one way a script writes it: digits, an optional point and
/// exponent. The default parser accepts a comma as a thousands separator, so "--lr 0,01" became 1.
/// </summary>
internal static class DecimalOption
{
    /// <summary>A new option named <paramref name="name"/> that refuses anything but a finite decimal number.</summary>
    public static Option<double> Create(string name, string description, double defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse(result, name),
    };

    private static double Parse(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
            return value;
        string hint = text.Contains(',') ? " with a point, not a comma, for the decimal separator" : "";
        result.AddError($"{name}: '{text}' is not a number; write it as 0.01 or 1e-3{hint}.");
        return 0;
    }
}
