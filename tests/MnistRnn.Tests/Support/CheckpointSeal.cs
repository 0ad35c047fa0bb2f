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

    /// <summary>A genuine checkpoint with the bytes of its tensor <paramref name="name"/> edited, re-sealed.</summary>
    public static byte[] WithTensorBytes(byte[] genuine, string name, SpanAction edit)
    {
        int headerLength = BitConverter.ToInt32(genuine, 12);
        long offset = Prelude + headerLength;
        foreach (var tensor in Header(genuine)["tensors"]!.AsArray())
        {
            long count = tensor!["shape"]!.AsArray().Aggregate(1L, (a, d) => a * (long)d!);
            long length = count * (tensor["dtype"]!.GetValue<string>() switch { "float32" => 4, "int64" => 8, _ => 1 });
            if (tensor["name"]!.GetValue<string>() == name)
            {
                byte[] copy = [.. genuine];
                edit(copy.AsSpan((int)offset, (int)length));
                byte[] body = copy[..^32];
                return [.. body, .. SHA256.HashData(body)];
            }
            offset += length;
        }
        throw new ArgumentException($"the checkpoint has no tensor {name}");
    }

    public delegate void SpanAction(Span<byte> bytes);

    private static JsonNode Header(byte[] genuine) => JsonNode.Parse(genuine.AsSpan(Prelude, BitConverter.ToInt32(genuine, 12)))!;
}
