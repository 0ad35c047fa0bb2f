using System.Xml.Linq;
using MnistRnn.Build;

// Usage: PublicApiDocs <assembly> <documentation xml>; rewrites the xml in place.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: PublicApiDocs <assembly.dll> <assembly.xml>");
    return 2;
}
var api = PublicApi.Read(args[0]);
var document = XDocument.Load(args[1]);
var (kept, dropped, expanded) = DocumentationFilter.Apply(document, api);
document.Save(args[1]);
Console.WriteLine($"{Path.GetFileName(args[1])}: {kept} public members kept, {dropped} internal ones dropped, {expanded} inheritdoc expanded");
return 0;
