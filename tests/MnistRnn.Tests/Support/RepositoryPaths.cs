namespace MnistRnn.Tests.Support;

/// <summary>Locations inside the repository the tests run from, and NuGet's package cache.</summary>
internal static class RepositoryPaths
{
    /// <summary>The repository root: the first folder above the test binaries holding MnistRnn.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The vendored MNIST folder.</summary>
    public static string Mnist => Path.Combine(Root, "data", "mnist");

    /// <summary>NuGet's global packages folder, where restore puts every package it uses.</summary>
    public static string GlobalPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MnistRnn.sln"))) return dir.FullName;
        throw new InvalidOperationException("MnistRnn.sln not found above " + AppContext.BaseDirectory);
    }
}
