using System.Text.RegularExpressions;
using MnistRnn.Tests.Support;

namespace MnistRnn.Tests.Packaging;

/// <summary>Every relative link in the repository's Markdown files leads to a file or folder that exists.</summary>
[Category("Unit")]
public sealed partial class DocumentLinkTests
{
    [Test]
    public void Every_relative_link_of_every_markdown_file_leads_somewhere()
    {
        var pages = Directory.EnumerateFiles(RepositoryPaths.Root, "*.md", SearchOption.AllDirectories)
            .Where(p => !p.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or ".git" or "node_modules"));
        var broken = (from page in pages
                      from Match link in Link().Matches(File.ReadAllText(page))
                      let target = link.Groups[1].Value.Split('#')[0]
                      where target.Length > 0 && !target.Contains("://") && !target.StartsWith("mailto:", StringComparison.Ordinal)
                      let resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(target)))
                      where !File.Exists(resolved) && !Directory.Exists(resolved)
                      select $"{Path.GetRelativePath(RepositoryPaths.Root, page)}: {link.Groups[1].Value}").ToList();

        Assert.That(broken, Is.Empty);
    }

    // [text](target) and ![alt](target), the target up to a space or the closing parenthesis.
    [GeneratedRegex(@"\]\(([^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();
}
