namespace MnistRnn.Runner;

/// <summary>Finds the MNIST copy vendored with this repository when <c>--data</c> is not given.</summary>
internal static class DataFolder
{
    public const string Vendored = "data/mnist";

    /// <summary>
    /// The vendored folder: the first <c>data/mnist</c> found walking up from the current directory,
    /// then from the program's own folder (so `dotnet run` works from anywhere inside the clone).
    /// </summary>
    public static string? FindVendored()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, Vendored);
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}
