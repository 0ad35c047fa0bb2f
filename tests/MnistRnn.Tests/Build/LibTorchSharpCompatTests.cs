using MnistRnn.Build;
using MnistRnn.Tests.Support;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Build;

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

    private static ISet<string> HostVersions()
    {
        string host = LibStdCxxCompat.FindHostLibStdCxx() ?? throw new InconclusiveException("no libstdc++ on this host");
        return new ElfSymbolVersions(File.ReadAllBytes(host), host).Definitions();
    }

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
    public void The_build_output_carries_a_weakened_copy_exactly_when_the_host_needs_one()
    {
        bool hostHasVersion = HostVersions().Contains(NewestRequired);

        Assert.That(Requirement(OutputLibrary, NewestRequired).IsWeak, Is.EqualTo(!hostHasVersion));
        Assert.That(Requirement(PackageLibrary, NewestRequired).IsWeak, Is.False, "the NuGet cache is never modified");
        if (hostHasVersion)
            Assert.That(File.ReadAllBytes(OutputLibrary), Is.EqualTo(File.ReadAllBytes(PackageLibrary)));
    }

    [Test]
    public void Weakening_flips_one_flag_byte_and_is_idempotent()
    {
        byte[] original = File.ReadAllBytes(PackageLibrary);
        byte[] image = (byte[])original.Clone();
        var hostWithout = new HashSet<string>(HostVersions());
        hostWithout.Remove(NewestRequired);

        var weakened = LibStdCxxCompat.WeakenMissingVersions(image, "libLibTorchSharp.so", hostWithout);
        var again = LibStdCxxCompat.WeakenMissingVersions(image, "libLibTorchSharp.so", hostWithout);

        Assert.That(weakened, Is.EqualTo(new[] { NewestRequired }));
        Assert.That(again, Is.Empty);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != image[i]).ToArray();
        Assert.That(changed, Has.Length.EqualTo(1));
        Assert.That(image[changed[0]] & ElfSymbolVersions.WeakFlag, Is.EqualTo(ElfSymbolVersions.WeakFlag));
    }

    [Test]
    public void A_host_with_every_required_version_gets_the_library_unchanged()
    {
        byte[] original = File.ReadAllBytes(PackageLibrary);
        byte[] image = (byte[])original.Clone();
        var newerHost = new HashSet<string>(HostVersions()) { NewestRequired };

        var weakened = LibStdCxxCompat.WeakenMissingVersions(image, "libLibTorchSharp.so", newerHost);

        Assert.That(weakened, Is.Empty);
        Assert.That(image, Is.EqualTo(original));
    }

    [Test]
    public void Refuses_to_weaken_a_version_that_relocations_use()
    {
        // GLIBCXX_3.4 is the base version: hundreds of relocated symbols are bound to it.
        var hostWithout = new HashSet<string>(HostVersions());
        hostWithout.Remove("GLIBCXX_3.4");

        var error = Assert.Throws<InvalidOperationException>(() =>
            LibStdCxxCompat.WeakenMissingVersions(File.ReadAllBytes(PackageLibrary), "libLibTorchSharp.so", hostWithout))!;

        Assert.That(error.Message, Does.StartWith("libLibTorchSharp.so needs GLIBCXX_3.4 from libstdc++.so.6 for "));
    }

    [Test]
    public void Refuses_a_file_that_is_not_elf() =>
        Assert.Throws<InvalidDataException>(() => new ElfSymbolVersions(new byte[100], "junk.so"));
}
