using System.CommandLine;
using System.CommandLine.Parsing;

namespace MnistRnn.Runner.Options;

/// <summary>
/// Finds options and arguments given as empty strings (--out "" from a script whose variable was unset).
/// No option has a meaning for an empty value, and as a path it would resolve to nothing usable.
/// </summary>
internal static class EmptyValues
{
    /// <summary>The name of the first option or argument given an empty or blank value, or null.</summary>
    public static string? Find(ParseResult parse) => Find(parse.RootCommandResult);

    private static string? Find(CommandResult result)
    {
        foreach (var child in result.Children)
        {
            string? name = child switch
            {
                OptionResult option when HasBlank(option.Tokens) => option.Option.Name,
                ArgumentResult argument when HasBlank(argument.Tokens) => argument.Argument.Name,
                _ => null,
            };
            if (name is not null) return name;
            if (child is CommandResult subcommand && Find(subcommand) is { } nested) return nested;
        }
        return null;
    }

    private static bool HasBlank(IReadOnlyList<Token> tokens) => tokens.Any(t => string.IsNullOrWhiteSpace(t.Value));
}
