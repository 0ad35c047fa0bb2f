namespace MnistRnn.Models;

/// <summary>Enum values looked up by name, and only by name.</summary>
internal static class EnumNames
{
    /// <summary>
    /// The value named <paramref name="name"/> in any case; false for anything else. Enum.TryParse would
    /// also take numbers ("2") and comma lists ("rnn,lstm"), which are not names a user means.
    /// </summary>
    public static bool TryParse<T>(string name, out T value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }
        value = default;
        return false;
    }
}
