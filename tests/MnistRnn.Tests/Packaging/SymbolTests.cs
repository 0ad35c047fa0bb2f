using System.Reflection.Metadata;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>The library's PDB carries its sources, so a debugger steps into the package's code.</summary>
[Category("Unit")]
public sealed class SymbolTests
{
    // The GUID portable PDBs tag an embedded source with.
    private static readonly Guid EmbeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    [Test]
    public void Every_source_file_of_the_library_is_embedded_in_its_pdb()
    {
        string pdb = Path.Combine(AppContext.BaseDirectory, "MnistRnn.pdb");
        using var stream = File.OpenRead(pdb);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();
        var embedded = reader.Documents
            .Where(d => reader.GetCustomDebugInformation(d).Any(c => reader.GetGuid(reader.GetCustomDebugInformation(c).Kind) == EmbeddedSource))
            .Select(d => Path.GetFileName(reader.GetString(reader.GetDocument(d).Name)))
            .ToHashSet();
        string sources = Path.Combine(RepositoryPaths.Root, "src", "MnistRnn");
        var expected = Directory.GetFiles(sources, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(Path.GetFileName);

        Assert.That(embedded, Is.SupersetOf(expected));
    }
}
