using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace MnistRnn.Tests.Support;

/// <summary>A genuine checkpoint with its JSON header edited and re-sealed with a valid SHA-256: a crafted file the hash cannot catch.</summary>
internal static class CheckpointSeal
{
    private const int Prelude = 16;

    public static byte[] WithHeader(byte[] genuine, Action<JsonNode> edit)
    {
        int headerLength = BitConverter.ToInt32(genuine, 12);
        var header = JsonNode.Parse(genuine.AsSpan(Prelude, headerLength))!;
        edit(header);
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        byte[] body = [.. genuine[..12], .. BitConverter.GetBytes(json.Length), .. json, .. genuine[(Prelude + headerLength)..^32]];
        return [.. body, .. SHA256.HashData(body)];
    }

    /// <summary>The tensor names of a checkpoint's header, in the order of their bytes.</summary>
    public static IReadOnlyList<string> TensorNames(byte[] genuine) =>
        [.. Header(genuine)["tensors"]!.AsArray().Select(t => t!["name"]!.GetValue<string>())];

    /// <summary>Where each tensor's bytes lie in the payload (the bytes after the header), by the tensor's name.</summary>
    public static IReadOnlyDictionary<string, (int Offset, int Length)> TensorSpans(byte[] genuine)
    {
        var spans = new Dictionary<string, (int, int)>();
        int offset = 0;
        foreach (var tensor in Header(genuine)["tensors"]!.AsArray())
        {
            long count = tensor!["shape"]!.AsArray().Aggregate(1L, (a, d) => a * (long)d!);
            int length = (int)(count * (tensor["dtype"]!.GetValue<string>() switch { "float32" => 4, "int64" => 8, _ => 1 }));
            spans[tensor["name"]!.GetValue<string>()] = (offset, length);
            offset += length;
        }
        return spans;
    }

    /// <summary>A genuine checkpoint with the bytes of its tensor <paramref name="name"/> edited, re-sealed.</summary>
    public static byte[] WithTensorBytes(byte[] genuine, string name, SpanAction edit)
    {
        if (!TensorSpans(genuine).TryGetValue(name, out var span)) throw new ArgumentException($"the checkpoint has no tensor {name}");
        byte[] copy = [.. genuine];
        edit(copy.AsSpan(Prelude + BitConverter.ToInt32(genuine, 12) + span.Offset, span.Length));
        byte[] body = copy[..^32];
        return [.. body, .. SHA256.HashData(body)];
    }

    public delegate void SpanAction(Span<byte> bytes);

    private static JsonNode Header(byte[] genuine) => JsonNode.Parse(genuine.AsSpan(Prelude, BitConverter.ToInt32(genuine, 12)))!;
}
