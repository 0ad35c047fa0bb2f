using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using MnistRnn.Data;
using MnistRnn.IO;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Checkpoints;

/// <summary>
/// The checkpoint file format: the 8 bytes "MNRNNCKP", a format version (uint32), the length of a UTF-8 JSON header (int32)
/// and the header, the raw bytes of every tensor the header lists in its order, and a SHA-256 of everything before it.
/// The hash is checked before anything else is read, so a truncated or corrupted file is refused before any tensor is
/// allocated. The header describes the run (its settings, data and software) and holds one <see cref="StateSection"/> per
/// stateful part of it; a tensor named <c>SECTION/NAME</c> belongs to section SECTION. docs/checkpoints.md documents the layout.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Extension of checkpoint files.</summary>
    public const string Extension = ".ckpt";

    /// <summary>Largest file accepted; a default MNIST LSTM checkpoint is about 1 MB.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>The layout this version writes: 2, sections of owners; 1 (read through <see cref="LegacyCheckpointLayout"/>) had fixed fields.</summary>
    internal const int FormatVersion = 2;

    internal const int MaxHeaderBytes = 1 << 20;
    private static readonly byte[] Magic = "MNRNNCKP"u8.ToArray();
    private static readonly int Prelude = Magic.Length + 4 + 4;
    private const int HashBytes = 32;

    internal static readonly JsonSerializerOptions Json = CreateJsonOptions();

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        foreach (var converter in RunSettingsConverters.Converters) options.Converters.Add(converter);
        return options;
    }

    /// <summary>Writes the checkpoint of <paramref name="run"/> after its step, with a section from each of <paramref name="owners"/> that saves anything.</summary>
    internal static void Write(Stream stream, CheckpointedRun run, IEnumerable<IStateOwner> owners)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sections = new List<StateSection>();
        foreach (var owner in owners)
        {
            var section = new StateSection(owner.SectionName, "checkpoint");
            owner.SaveState(section);
            if (!section.IsEmpty) sections.Add(section);
        }
        var tensors = sections.SelectMany(s => s.SavedTensors.Select(t => (Name: $"{s.Name}/{t.Name}", t.Tensor))).ToList();
        var header = new CheckpointHeader
        {
            Step = run.Step,
            Run = RunSettings.From(run.Options),
            InputSize = run.InputSize,
            Classes = run.Classes,
            ImageRows = run.Data.Rows,
            ImageColumns = run.Data.Columns,
            TrainCount = run.Data.Count,
            LibraryVersion = typeof(CheckpointFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            TorchSharpVersion = typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            LibTorchVersion = __version__,
            DataFingerprint = run.Data.Fingerprint,
            Threads = get_num_threads(),
            Device = run.Device,
            CreatedUtc = DateTimeOffset.UtcNow,
            Sections = sections.ToDictionary(s => s.Name, s => s.Values.ToDictionary()),
            Tensors = tensors.Select(t => new TensorEntry { Name = t.Name, Dtype = DtypeName(t.Tensor.dtype)!, Shape = t.Tensor.shape }).ToList(),
        };
        byte[] headerBytes = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        // What Read would refuse is not written: a checkpoint must read back.
        long size = Prelude + headerBytes.LongLength + tensors.Sum(t => t.Tensor.NumberOfElements * t.Tensor.ElementSize) + HashBytes;
        if (headerBytes.Length > MaxHeaderBytes || size > MaxBytes)
            throw new InvalidOperationException(
                $"the checkpoint would be {size:N0} bytes with a header of {headerBytes.Length:N0}, above the {MaxBytes:N0} and {MaxHeaderBytes:N0} a checkpoint may hold; " +
                "save less state in the callbacks' sections.");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Put(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            hash.AppendData(bytes);
        }
        Put(Magic);
        Put(BitConverter.GetBytes(FormatVersion));
        Put(BitConverter.GetBytes(headerBytes.Length));
        Put(headerBytes);
        foreach (var (_, tensor) in tensors) Put(tensor.bytes);
        stream.Write(hash.GetHashAndReset());
    }

    /// <summary>Reads and validates the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointException">It is missing, unreadable, truncated, corrupt or not a checkpoint.</exception>
    public static Checkpoint Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadAllBytes(path, MaxBytes, "checkpoint");
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            throw new CheckpointException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read it ({e.Message}).", e);
        }
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException($"{path}: not an MnistRnn checkpoint (it does not start with \"MNRNNCKP\").");
        if (bytes.Length < Prelude + HashBytes
            || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - HashBytes)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashBytes)))
            throw new CheckpointException($"{path}: the checkpoint is truncated or corrupt (its SHA-256 does not match its contents).");
        int version = BitConverter.ToInt32(bytes, Magic.Length);
        if (version != FormatVersion && version != LegacyCheckpointLayout.Version)
            throw new CheckpointException($"{path}: checkpoint format {version} is not supported; this version of MnistRnn reads formats 1 and {FormatVersion}.");
        int headerLength = BitConverter.ToInt32(bytes, Magic.Length + 4);
        long payloadEnd = bytes.Length - HashBytes;
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || Prelude + (long)headerLength > payloadEnd)
            throw new CheckpointException($"{path}: the checkpoint's header length {headerLength} is impossible.");
        CheckpointHeader header;
        try
        {
            var headerBytes = bytes.AsSpan(Prelude, headerLength);
            header = version == LegacyCheckpointLayout.Version
                ? LegacyCheckpointLayout.ReadHeader(headerBytes, path)
                : JsonSerializer.Deserialize<CheckpointHeader>(headerBytes, Json) ?? throw new JsonException("empty header");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: the checkpoint's header is not valid ({e.Message}).", e);
        }
        if (MissingPart(header) is { } missing) throw new CheckpointException($"{path}: the checkpoint's header is not valid ({missing}).");
        var sections = header.Sections.ToDictionary(s => s.Key, s => new StateSection(s.Key, path));
        foreach (var (name, values) in header.Sections)
            foreach (var (key, value) in values) sections[name].AddValue(key, value);
        long offset = Prelude + headerLength;
        foreach (var entry in header.Tensors)
        {
            // Each size is bounded before it is multiplied, so no product can overflow or wrap to a small number.
            if (DtypeOf(entry.Dtype) is not { } dtype || entry.Shape.Length > 8 || entry.Shape.Any(d => d < 0 || d > MaxBytes))
                throw new CheckpointException($"{path}: tensor {entry.Name} has an invalid shape or type, or appears twice.");
            int slash = entry.Name.IndexOf('/');
            if (slash <= 0 || !sections.TryGetValue(entry.Name[..slash], out var section))
                throw new CheckpointException($"{path}: tensor {entry.Name} belongs to no section of the checkpoint.");
            string name = entry.Name[(slash + 1)..];
            if (section.StoredTensors.ContainsKey(name))
                throw new CheckpointException($"{path}: tensor {entry.Name} has an invalid shape or type, or appears twice.");
            long length = ElementSize(dtype);
            foreach (long d in entry.Shape)
            {
                length *= d;
                if (length > payloadEnd) throw new CheckpointException($"{path}: tensor {entry.Name} is larger than the file.");
            }
            if (offset + length > payloadEnd) throw new CheckpointException($"{path}: the tensors the header lists do not fill the file exactly.");
            section.AddStored(name, new StateSection.StoredTensor(bytes.AsMemory((int)offset, (int)length), entry.Shape, dtype));
            offset += length;
        }
        if (offset != payloadEnd)
            throw new CheckpointException($"{path}: the tensors the header lists do not fill the file exactly.");
        TrainingOptions options;
        try
        {
            options = RunSettings.ToOptions(header.Run!);
        }
        catch (FormatException e)
        {
            throw new CheckpointException($"{path}: the checkpoint's options are not valid ({e.Message}).");
        }
        if (options.Problems().FirstOrDefault() is { } invalid)
            throw new CheckpointException($"{path}: the checkpoint's options are not valid ({invalid.Property} {invalid.Message}).");
        var info = new CheckpointInfo(header.Step, options, header.InputSize, header.Classes, header.ImageRows, header.ImageColumns,
            header.TrainCount, header.LibraryVersion, header.TorchSharpVersion, header.LibTorchVersion, header.Device, header.CreatedUtc)
        {
            DataFingerprint = header.DataFingerprint,
            Threads = header.Threads is >= 1 and <= CheckpointRules.MaxThreads ? header.Threads : null,
        };
        var problem = CheckpointRules.NumbersProblem(info) ?? CheckpointRules.SectionsProblem(info, sections);
        if (problem is not null) throw new CheckpointException($"{path}: the checkpoint's header is not valid ({problem}).");
        return new Checkpoint(path, info, sections);
    }

    // A missing part of the header (JSON null); names end up in messages, which must stay one line.
    private static string? MissingPart(CheckpointHeader header) =>
        header.Run is null ? "it has no run settings"
        : header.Sections is null || header.Sections.Any(s => s.Value is null) ? "it has no sections"
        : header.Tensors is null ? "it has no tensor list"
        : header.Tensors.Any(t => t is null || t.Name is null || t.Dtype is null || t.Shape is null) ? "a tensor has no name, type or shape"
        : header.LibraryVersion is null || header.TorchSharpVersion is null || header.LibTorchVersion is null || header.Device is null ? "a version or device is missing"
        : !header.Tensors.All(t => StateSection.IsPlainName(t.Name)) || !header.Sections.All(s => StateSection.IsPlainName(s.Key) && !s.Key.Contains('/')
            && s.Value.Keys.All(StateSection.IsPlainName))
            ? "a name with control characters or over 64 characters"
        : null;

    internal static string? DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Int64 => "int64",
        ScalarType.Byte => "uint8",
        _ => null,
    };

    private static ScalarType? DtypeOf(string name) => name switch
    {
        "float32" => ScalarType.Float32,
        "int64" => ScalarType.Int64,
        "uint8" => ScalarType.Byte,
        _ => null,
    };

    internal static int ElementSize(ScalarType type) => type switch { ScalarType.Float32 => 4, ScalarType.Int64 => 8, _ => 1 };

    internal class CheckpointHeader
    {
        public int Step { get; set; }
        public Dictionary<string, JsonElement>? Run { get; set; }
        public int InputSize { get; set; }
        public int Classes { get; set; }
        public int ImageRows { get; set; }
        public int ImageColumns { get; set; }
        public int TrainCount { get; set; }
        public string LibraryVersion { get; set; } = "";
        public string TorchSharpVersion { get; set; } = "";
        public string LibTorchVersion { get; set; } = "";
        public string Device { get; set; } = "";
        public DateTimeOffset CreatedUtc { get; set; }
        public string? DataFingerprint { get; set; }
        public int? Threads { get; set; }
        // Each section's values by name; its tensors are those of the tensor list whose names start with its name and a slash.
        public Dictionary<string, Dictionary<string, JsonElement>> Sections { get; set; } = [];
        public List<TensorEntry> Tensors { get; set; } = [];
    }

    internal sealed class TensorEntry
    {
        public string Name { get; set; } = "";
        public string Dtype { get; set; } = "";
        public long[] Shape { get; set; } = [];
    }
}

/// <summary>What a checkpoint records of the run besides its sections: where it stands, its settings, the data's shape and identity, the device.</summary>
internal sealed record CheckpointedRun(int Step, TrainingOptions Options, int InputSize, int Classes, DataIdentity Data, string Device);
