namespace MnistRnn.Runner.Platform;

/// <summary>
/// The one place a value becomes a word of a POSIX shell command (the Slurm script, the commands printed for a user to
/// paste): quoted when it holds anything a shell would split or expand, and refused when it holds a control character,
/// which no quoting keeps on its line.
/// </summary>
internal static class ShellWord
{
    private const string Plain = "/\\._-:+=@,";

    /// <summary><paramref name="word"/> quoted for a shell, single quotes only when needed.</summary>
    public static string Quoted(string word) =>
        word.Length > 0 && word.All(c => char.IsLetterOrDigit(c) || Plain.Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>Throws unless <paramref name="value"/>, given with <paramref name="flag"/>, can be written into a script: no control characters.</summary>
    /// <exception cref="UserErrorException">It holds one (exit 2).</exception>
    public static string Checked(string value, string flag)
    {
        if (value.Any(char.IsControl))
            throw new UserErrorException(ExitCodes.InvalidArguments,
                $"{flag}: '{string.Concat(value.Select(c => char.IsControl(c) ? '?' : c))}' holds a control character (a newline, a tab, an escape), " +
                "which would break the script it is written into; give it without.");
        return value;
    }
}
