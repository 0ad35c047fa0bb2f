using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace MnistRnn.IO;

/// <summary>
/// The safetensors format (Hugging Face's, read by PyTorch and most frameworks): an 8-byte little-endian header
/// length, a JSON header naming each tensor's dtype, shape and byte range, a <c>__metadata__</c> map of strings, then
/// the raw little-endian data. Only float32 tensors are written and read. Reading trusts nothing: every size is
/// bounded and every range checked to tile the data exactly before anything is allocated.
/// </summary>
internal static class SafeTensorsFile
{
    /// <summary>The largest file read: 2 GB, the most one array holds.</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <summary>The largest header read.</summary>
    public const long MaxHeaderBytes = 16 << 20;

    private const string MetadataKey = "__metadata__";

    /// <summary>One tensor: its name, shape and float32 values in row-major order.</summary>
    public sealed record Entry(string Name, long[] Shape, float[] Values);

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/> through a temporary file renamed into place, so a failure leaves no half-written file.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyList<Entry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new Dictionary<string, object> { [MetadataKey] = metadata };
        long offset = 0;
        foreach (var entry in tensors)
        {
            long length = (long)entry.Values.Length * sizeof(float);
            header[entry.Name] = new { dtype = "F32", shape = entry.Shape, data_offsets = new[] { offset, offset + length } };
            offset += length;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        // Padded with spaces to a multiple of 8, so the data that follows is aligned, as the format recommends.
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.WriteStream(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (int i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var entry in tensors)
            {
                byte[] bytes = new byte[entry.Values.Length * sizeof(float)];
                for (int i = 0; i < entry.Values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), entry.Values[i]);
                file.Write(bytes);
            }
        });
    }

    /// <summary>Reads only the metadata of <paramref name="path"/>, without its tensors.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a safetensors file; the message says what is wrong.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => ReadHeader(path).Metadata;

    /// <summary>Reads only the names and shapes of the tensors of <paramref name="path"/>, without their values.</summary>
    /// <inheritdoc cref="ReadMetadata" path="/exception"/>
    public static IReadOnlyDictionary<string, long[]> ReadShapes(string path) => ReadHeader(path).Tensors.ToDictionary(t => t.Name, t => t.Shape);

    private static (List<(string Name, long[] Shape, long Begin, long End)> Tensors, Dictionary<string, string> Metadata) ReadHeader(string path)
    {
        long fileLength = RegularFile.Check(path, MaxFileBytes, "safetensors");
        using var file = RegularFile.OpenRead(path, MaxFileBytes, "safetensors");
        Span<byte> length = stackalloc byte[8];
        if (file.ReadAtLeast(length, 8, throwOnEndOfStream: false) < 8) throw Invalid(path, "the file is shorter than the 8-byte header length");
        int headerLength = HeaderLength(path, length, fileLength);
        var header = new byte[headerLength];
        if (file.ReadAtLeast(header, headerLength, throwOnEndOfStream: false) < headerLength) throw Invalid(path, "the file ends inside its header");
        return ParseHeader(path, header);
    }

    /// <summary>Reads the tensors (in file order) and metadata of <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxElements">The most float32 values in all tensors together that the caller accepts; checked from the header, before the values are read.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a safetensors file of float32 tensors within the bounds; the message says what is wrong.</exception>
    public static (IReadOnlyList<Entry> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path, long maxElements)
    {
        byte[] bytes = RegularFile.ReadAllBytes(path, MaxFileBytes, "safetensors");
        if (bytes.Length < 8) throw Invalid(path, "the file is shorter than the 8-byte header length");
        int headerLength = HeaderLength(path, bytes.AsSpan(0, 8), bytes.Length);
        int dataStart = 8 + headerLength;
        var (found, metadata) = ParseHeader(path, bytes.AsMemory(8, headerLength));
        long elements = 0;
        foreach (var entry in found)
        {
            long count = 1;
            foreach (long dimension in entry.Shape)
            {
                if (dimension < 0 || dimension > maxElements) throw Invalid(path, $"tensor {entry.Name} has a dimension of {dimension}");
                count *= dimension;
                if (count > maxElements) throw Invalid(path, $"tensor {entry.Name} holds more values than the model allows ({maxElements})");
            }
            elements += count;
            if (elements > maxElements) throw Invalid(path, $"the tensors hold more values than the model allows ({maxElements})");
            if (entry.End - entry.Begin != count * sizeof(float))
                throw Invalid(path, $"tensor {entry.Name} has {entry.End - entry.Begin} bytes where its shape needs {count * sizeof(float)}");
        }
        // The ranges must tile the data exactly: no overlap, no gap, nothing after.
        long expected = 0;
        foreach (var entry in found.OrderBy(e => e.Begin))
        {
            if (entry.Begin != expected) throw Invalid(path, $"tensor {entry.Name} starts at byte {entry.Begin} where {expected} was expected");
            expected = entry.End;
        }
        if (expected != bytes.Length - dataStart)
            throw Invalid(path, $"the tensors cover {expected} bytes of the {bytes.Length - dataStart} after the header");
        var tensors = found.Select(e =>
        {
            var values = new float[(e.End - e.Begin) / sizeof(float)];
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + (int)e.Begin + i * sizeof(float)));
            return new Entry(e.Name, e.Shape, values);
        }).ToList();
        return (tensors, metadata);
    }

    // The first 8 bytes are the header's length; when they cannot be, the file may be another format a user mistook for this one.
    private static int HeaderLength(string path, ReadOnlySpan<byte> start, long fileLength)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (headerLength >= 2 && headerLength <= (ulong)Math.Min(MaxHeaderBytes, fileLength - 8)) return (int)headerLength;
        if (start.StartsWith("PK\u0003\u0004"u8))
            throw new InvalidDataException($"{path} is a zip archive, as PyTorch's torch.save writes, not safetensors; load a state_dict with ModelFile.LoadStateDict(path, architecture).");
        if (start.StartsWith("MNRNNCKP"u8))
            throw new InvalidDataException($"{path} is a training checkpoint, not a model file; load it with TrainedClassifier.Load(path) or CheckpointFile.Read(path).CreateModel().");
        throw Invalid(path, $"the header length {headerLength} does not fit the file of {fileLength} bytes");
    }

    private static (List<(string Name, long[] Shape, long Begin, long End)> Tensors, Dictionary<string, string> Metadata) ParseHeader(string path, ReadOnlyMemory<byte> json)
    {
        var metadata = new Dictionary<string, string>();
        var found = new List<(string Name, long[] Shape, long Begin, long End)>();
        try
        {
            using var header = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            if (header.RootElement.ValueKind != JsonValueKind.Object) throw Invalid(path, "the header is not a JSON object");
            foreach (var property in header.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Invalid(path, "__metadata__ is not an object");
                    foreach (var item in property.Value.EnumerateObject())
                        metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw Invalid(path, $"metadata {item.Name} is not a string");
                    continue;
                }
                found.Add(ReadEntry(path, property));
            }
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"the header is not valid JSON ({e.Message})");
        }
        return (found, metadata);
    }

    private static (string Name, long[] Shape, long Begin, long End) ReadEntry(string path, JsonProperty property)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || !value.TryGetProperty("shape", out var shape) || !value.TryGetProperty("data_offsets", out var offsets)
            || shape.ValueKind != JsonValueKind.Array || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2 || shape.GetArrayLength() > 8)
            throw Invalid(path, $"tensor {property.Name} lacks a dtype, a shape of up to 8 dimensions or two data offsets");
        if (dtype.ValueKind != JsonValueKind.String || dtype.GetString() != "F32")
            throw Invalid(path, $"tensor {property.Name} is {dtype}, not F32 (float32)");
        long[] dimensions = shape.EnumerateArray().Select(d => d.TryGetInt64(out long n) ? n : -1).ToArray();
        long begin = offsets[0].TryGetInt64(out long b) ? b : -1, end = offsets[1].TryGetInt64(out long e) ? e : -1;
        if (begin < 0 || end < begin) throw Invalid(path, $"tensor {property.Name} has byte range [{offsets[0]}, {offsets[1]}]");
        return (property.Name, dimensions, begin, end);
    }

    private static InvalidDataException Invalid(string path, string problem) =>
        new($"{path} is not a usable safetensors file: {problem}.");
}
