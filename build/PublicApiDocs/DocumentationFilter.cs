using System.Xml.Linq;
using System.Xml.XPath;

namespace MnistRnn.Build;

/// <summary>Keeps the members of a compiler's documentation file that the public API has, each with its inheritdoc expanded.</summary>
internal static class DocumentationFilter
{
    public static (int Kept, int Dropped, int Expanded) Apply(XDocument document, PublicApi api)
    {
        var members = document.Root!.Element("members")!.Elements("member").ToList();
        var byId = members.ToDictionary(m => (string)m.Attribute("name")!);
        int expanded = 0;
        // Expanded before anything is dropped: a public member may inherit from an internal one.
        foreach (var member in members)
            while (member.Descendants("inheritdoc").FirstOrDefault() is { } inherit)
            {
                Expand(inherit, byId, api);
                expanded++;
            }
        int dropped = 0;
        foreach (var member in members.Where(m => !api.Visible.Contains((string)m.Attribute("name")!)))
        {
            member.Remove();
            dropped++;
        }
        return (members.Count - dropped, dropped, expanded);
    }

    // <inheritdoc cref="X" path="/exception"/> stands for X's elements that the path selects (all of them without a path,
    // but those the member already has); without a cref, X is the member of that name in the nearest base type or
    // interface. One whose X is documented outside this assembly would need that documentation, and fails the build.
    private static void Expand(XElement inherit, IReadOnlyDictionary<string, XElement> byId, PublicApi api)
    {
        var member = inherit.Ancestors("member").First();
        string owner = (string)member.Attribute("name")!;
        string? cref = (string?)inherit.Attribute("cref") ?? Inherited(owner, byId, api);
        if (cref is null || !byId.TryGetValue(cref, out var source))
            throw new InvalidOperationException($"{owner}: <inheritdoc> names nothing documented in this assembly ('{cref}'); write the documentation out.");
        foreach (var nested in source.Descendants("inheritdoc").ToList()) Expand(nested, byId, api);
        string? path = (string?)inherit.Attribute("path");
        var taken = path is null
            ? source.Elements().Where(e => e.Name != "inheritdoc" && member.Element(e.Name) is null)
            : source.XPathSelectElements(path.TrimStart('/'));
        inherit.ReplaceWith(taken.Select(e => new XElement(e)).ToList());
    }

    // "M:N.Type.Name(args)": the first of Type's base types and interfaces, breadth first, that documents "Name(args)".
    private static string? Inherited(string owner, IReadOnlyDictionary<string, XElement> byId, PublicApi api)
    {
        int open = owner.IndexOf('(');
        int dot = owner.LastIndexOf('.', open < 0 ? owner.Length - 1 : open);
        string kind = owner[..2], type = owner[2..dot], name = owner[(dot + 1)..];
        var queue = new Queue<string>(api.Bases.GetValueOrDefault(type, []));
        while (queue.TryDequeue(out var next))
        {
            if (byId.ContainsKey(kind + next + "." + name)) return kind + next + "." + name;
            foreach (var further in api.Bases.GetValueOrDefault(next, [])) queue.Enqueue(further);
        }
        return null;
    }
}
