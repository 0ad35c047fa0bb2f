using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using MnistRnn.Models;

namespace MnistRnn.Tests.Packaging;

/// <summary>
/// The IntelliSense file the package ships (the one built beside the library) documents the public API and nothing
/// else, with every inheritdoc written out, as a consumer's IDE shows it.
/// </summary>
[Category("Unit")]
public sealed class IntelliSenseFileTests
{
    private static readonly Assembly Library = typeof(RecurrentClassifier).Assembly;

    private static readonly XElement[] Members = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "MnistRnn.xml"))
        .Root!.Element("members")!.Elements("member").ToArray();

    private static string Id(XElement member) => (string)member.Attribute("name")!;

    private static string DocumentationName(Type type) => type.FullName!.Replace('+', '.');

    private static readonly Dictionary<string, Type> PublicTypes = Library.GetExportedTypes().ToDictionary(DocumentationName);

    // "M:N.Type.Name(args)" as (type, member name); a type's own entry as (type, null).
    private static (string Type, string? Member) Split(string id)
    {
        string name = id[2..];
        if (id.StartsWith("T:", StringComparison.Ordinal)) return (name, null);
        int open = name.IndexOf('(');
        int dot = name.LastIndexOf('.', open < 0 ? name.Length - 1 : open);
        string member = name[(dot + 1)..(open < 0 ? name.Length : open)];
        // A generic method's id carries its type-parameter count: SaveValue``1.
        int generic = member.IndexOf("``", StringComparison.Ordinal);
        return (name[..dot], generic < 0 ? member : member[..generic]);
    }

    private static bool Shown(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    private static IEnumerable<MethodBase> DocumentedMethods(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => Shown(m) && !m.IsSpecialName && m.GetCustomAttribute<CompilerGeneratedAttribute>() is null);

    [Test]
    public void Every_documented_member_belongs_to_a_public_type()
    {
        var outside = Members.Select(Id).Where(id => !id.StartsWith("N:", StringComparison.Ordinal) && !PublicTypes.ContainsKey(Split(id).Type)).ToArray();

        Assert.That(outside, Is.Empty);
    }

    [Test]
    public void Every_public_type_is_documented()
    {
        var documented = Members.Select(Id).ToHashSet();

        Assert.That(PublicTypes.Keys.Where(name => !documented.Contains("T:" + name)), Is.Empty);
    }

    [Test]
    public void Each_public_method_has_one_entry_and_no_internal_overload_has_any()
    {
        var entries = Members.Select(Id).Where(id => id.StartsWith("M:", StringComparison.Ordinal) && !id.Contains(".#ctor"))
            .GroupBy(id => Split(id)).ToDictionary(g => g.Key, g => g.Count());
        var expected = PublicTypes.Values.SelectMany(type => DocumentedMethods(type).Select(m => (DocumentationName(type), (string?)m.Name)))
            .GroupBy(key => key).ToDictionary(g => g.Key, g => g.Count());

        Assert.That(entries, Is.EquivalentTo(expected));
    }

    [Test]
    public void No_internal_member_of_a_public_type_is_documented()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var hidden = Members.Select(Id).Where(id => id[0] is 'P' or 'F').Where(id =>
        {
            var (typeName, name) = Split(id);
            var member = PublicTypes[typeName].GetMember(name!, all).Single();
            return member switch
            {
                PropertyInfo p => !new[] { p.GetMethod, p.SetMethod }.Any(a => a is not null && Shown(a)),
                FieldInfo f => !(f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly),
                _ => true,
            };
        }).ToArray();

        Assert.That(hidden, Is.Empty);
    }

    [Test]
    public void No_inheritdoc_is_left_for_the_reader_to_resolve()
    {
        var unresolved = Members.Where(m => m.Descendants("inheritdoc").Any()).Select(Id).ToArray();

        Assert.That(unresolved, Is.Empty);
        // What an inheritdoc stood for is there: FromCsv's exceptions include those of the constructor it builds with.
        var fromCsv = Members.Single(m => Id(m).StartsWith("M:MnistRnn.Data.SequenceDataset.FromCsv(", StringComparison.Ordinal));
        Assert.That(fromCsv.Elements("exception").Select(e => (string)e.Attribute("cref")!), Does.Contain("T:System.ArgumentException"));
    }
}
