using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>
/// MnistRnn and MnistRnn.NUnit packed once per test run, on first use, into a local feed under a throwaway version, for every
/// test that builds a project against them (a pack takes about 11 s; packing for each test was a third of the package level).
/// When the tests of this namespace end, the feed and the version's copies in the global package cache are deleted.
/// </summary>
[SetUpFixture]
[Parallelizable(ParallelScope.Self)]
public sealed class PackedPackages
{
    private static readonly string[] PackageIds = ["MnistRnn", "MnistRnn.NUnit"];
    private static readonly Lazy<Packed> Packages = new(Pack, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The feed folder that holds both packages, and their version: one of its own, so the global package cache never serves
    /// an older build of the same version.
    /// </summary>
    public sealed record Packed(string Feed, string Version)
    {
        /// <summary>Copies both packages into <paramref name="folder"/>, for a project whose own nuget.config names a feed there.</summary>
        public void CopyTo(string folder)
        {
            Directory.CreateDirectory(folder);
            foreach (string package in Directory.GetFiles(Feed, "*.nupkg")) File.Copy(package, Path.Combine(folder, Path.GetFileName(package)));
        }
    }

    /// <summary>The packages, packed now if no test has asked for them before.</summary>
    public static Packed Get() => Packages.Value;

    private static Packed Pack()
    {
        var packed = new Packed(
            Path.Combine(Path.GetTempPath(), "mnist-rnn-tests-feed-" + Guid.NewGuid().ToString("N")),
            $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");
        foreach (string id in PackageIds)
        {
            var pack = DotnetProcess.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(10), "pack", $"src/{id}", "-c", "Release", "-o", packed.Feed, $"-p:Version={packed.Version}");
            if (pack.ExitCode != 0) throw new InvalidOperationException($"dotnet pack src/{id} failed:\n{pack.Output}{pack.Error}");
        }
        return packed;
    }

    [OneTimeTearDown]
    public void Forget()
    {
        if (!Packages.IsValueCreated) return;
        var packed = Packages.Value;
        try { Directory.Delete(packed.Feed, recursive: true); } catch (IOException) { }
        foreach (string id in PackageIds)
        {
            string cached = Path.Combine(RepositoryPaths.GlobalPackagesFolder, id.ToLowerInvariant(), packed.Version);
            if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        }
    }
}
