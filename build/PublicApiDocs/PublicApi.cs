using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace MnistRnn.Build;

/// <summary>
/// What an assembly shows its users, read from its metadata without loading it: the documentation IDs (the compiler's
/// <c>T:</c>, <c>M:</c>, <c>P:</c>, <c>F:</c>, <c>E:</c> names) of public types and their public and protected members,
/// and each type's base class and interfaces (by documentation name), where an <c>&lt;inheritdoc/&gt;</c> looks.
/// </summary>
internal sealed record PublicApi(IReadOnlySet<string> Visible, IReadOnlyDictionary<string, string[]> Bases)
{
    public static PublicApi Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new DocumentationTypeNames(reader);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var bases = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var handle in reader.TypeDefinitions)
        {
            var type = reader.GetTypeDefinition(handle);
            string typeName = names.Of(handle);
            bases[typeName] = (type.BaseType.IsNil ? [] : new[] { names.Of(reader, type.BaseType) })
                .Concat(type.GetInterfaceImplementations().Select(i => names.Of(reader, reader.GetInterfaceImplementation(i).Interface)))
                .ToArray();
            if (!IsVisible(reader, type)) continue;
            ids.Add("T:" + typeName);
            foreach (var fieldHandle in type.GetFields())
            {
                var field = reader.GetFieldDefinition(fieldHandle);
                if (Shows(field.Attributes & FieldAttributes.FieldAccessMask))
                    ids.Add($"F:{typeName}.{reader.GetString(field.Name)}");
            }
            foreach (var methodHandle in type.GetMethods())
            {
                var method = reader.GetMethodDefinition(methodHandle);
                if (Shows(method.Attributes & MethodAttributes.MemberAccessMask))
                    ids.Add("M:" + typeName + "." + MethodId(reader, names, method));
            }
            foreach (var propertyHandle in type.GetProperties())
            {
                var property = reader.GetPropertyDefinition(propertyHandle);
                var accessors = property.GetAccessors();
                if (!new[] { accessors.Getter, accessors.Setter }.Any(a => !a.IsNil && Shows(reader.GetMethodDefinition(a).Attributes & MethodAttributes.MemberAccessMask)))
                    continue;
                var signature = property.DecodeSignature(names, null);
                ids.Add($"P:{typeName}.{reader.GetString(property.Name)}{Parameters(signature.ParameterTypes)}");
            }
            foreach (var eventHandle in type.GetEvents())
            {
                var @event = reader.GetEventDefinition(eventHandle);
                var adder = @event.GetAccessors().Adder;
                if (!adder.IsNil && Shows(reader.GetMethodDefinition(adder).Attributes & MethodAttributes.MemberAccessMask))
                    ids.Add($"E:{typeName}.{reader.GetString(@event.Name)}");
            }
        }
        return new PublicApi(ids, bases);
    }

    private static bool Shows(MethodAttributes access) =>
        access is MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem;

    private static bool Shows(FieldAttributes access) =>
        access is FieldAttributes.Public or FieldAttributes.Family or FieldAttributes.FamORAssem;

    private static bool IsVisible(MetadataReader reader, TypeDefinition type)
    {
        var visibility = type.Attributes & TypeAttributes.VisibilityMask;
        if (visibility == TypeAttributes.Public) return true;
        if (visibility is not (TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem)) return false;
        return IsVisible(reader, reader.GetTypeDefinition(type.GetDeclaringType()));
    }

    private static string MethodId(MetadataReader reader, DocumentationTypeNames names, MethodDefinition method)
    {
        string name = reader.GetString(method.Name).Replace('.', '#');
        var signature = method.DecodeSignature(names, null);
        int arity = method.GetGenericParameters().Count;
        string id = name + (arity > 0 ? "``" + arity : "") + Parameters(signature.ParameterTypes);
        // Conversion operators differ only by what they return, so their IDs name it.
        return name is "op_Implicit" or "op_Explicit" ? id + "~" + signature.ReturnType : id;
    }

    private static string Parameters(ImmutableArray<string> types) => types.IsEmpty ? "" : "(" + string.Join(",", types) + ")";
}
