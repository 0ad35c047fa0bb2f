using MnistRnn.Build;
using MnistRnn.Tests.Support;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Build;

[Category("Unit")]
[Platform("Linux")]
public sealed class LibTorchSharpCompatTests
{
    private const string NewestRequired = "GLIBCXX_3.4.32";

    private static string PackageLibrary
    {
        get
        {
            string packages = RepositoryPaths.GlobalPackagesFolder;
            var version = typeof(TorchSharp.torch).Assembly.GetName().Version!;
            return Path.Combine(packages, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}",
                "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        }
    }

    private static string OutputLibrary => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static ElfSymbolVersions.Requirement Requirement(string path, string version) =>
        new ElfSymbolVersions(File.ReadAllBytes(path), path).Requirements()
            .Single(r => r.Library == LibStdCxxCompat.LibStdCxx && r.Version == version);

    [Test]
    public void Libtorch_loads_from_the_build_output()
    {
        using var sum = ones(2, 3).sum();

        Assert.That(sum.item<float>(), Is.EqualTo(6f));
    }

    [Test]
    public void The_build_output_carries_a_weakened_copy_whatever_the_host_has()
    {
        Assert.That(Requirement(OutputLibrary, NewestRequired).IsWeak, Is.True);
        Assert.That(Requirement(PackageLibrary, NewestRequired).IsWeak, Is.False, "the NuGet cache is never modified");
    }

    [Test]
    public void Only_versions_no_relocation_binds_are_weakened_and_weakening_is_idempotent()
    {
        byte[] original = File.ReadAllBytes(PackageLibrary);
        byte[] image = (byte[])original.Clone();

        var weakened = LibStdCxxCompat.WeakenUnusedVersions(image, "libLibTorchSharp.so");
        var again = LibStdCxxCompat.WeakenUnusedVersions(image, "libLibTorchSharp.so");
        TestContext.Out.WriteLine($"weakened: {string.Join(", ", weakened)}");

        Assert.That(weakened, Does.Contain(NewestRequired));
        Assert.That(again, Is.Empty);
        var elf = new ElfSymbolVersions(original, "libLibTorchSharp.so");
        foreach (var requirement in elf.Requirements().Where(r => weakened.Contains(r.Version) && r.Library == LibStdCxxCompat.LibStdCxx))
            Assert.That(elf.RelocatedSymbolsOfVersion(requirement.Index), Is.Empty, requirement.Version);
        // GLIBCXX_3.4 is the base version: hundreds of relocated symbols are bound to it, so it must stay required.
        Assert.That(weakened, Does.Not.Contain("GLIBCXX_3.4"));
        Assert.That(Requirement(PackageLibrary, "GLIBCXX_3.4").IsWeak, Is.False);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != image[i]).ToArray();
        Assert.That(changed, Has.Length.EqualTo(weakened.Count), "one flag byte per weakened version");
        Assert.That(changed.All(i => (image[i] & ElfSymbolVersions.WeakFlag) == ElfSymbolVersions.WeakFlag), Is.True);
    }

    [Test]
    public void Refuses_a_file_that_is_not_elf() =>
        Assert.Throws<InvalidDataException>(() => new ElfSymbolVersions(new byte[100], "junk.so"));
}
