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
}
