using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using MnistRnn.IO;
using MnistRnn.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Checkpoints;

/// <summary>
/// The checkpoint file format: the 8 bytes "MNRNNCKP", a format version (uint32), the length of a
/// UTF-8 JSON header (int32) and the header, the raw bytes of every tensor the header lists in its
/// order, and a SHA-256 of everything before it. The hash is checked before anything else is read, so
/// a truncated or corrupted file is refused before any tensor is allocated.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Extension of checkpoint files.</summary>
    public const string Extension = ".ckpt";

    /// <summary>Largest file accepted; a default MNIST LSTM checkpoint is about 1 MB.</summary>
    public const long MaxBytes = 1L << 30;

    private const int FormatVersion = 1;
    private const int MaxHeaderBytes = 1 << 20;
    private static readonly byte[] Magic = "MNRNNCKP"u8.ToArray();
    private static readonly int Prelude = Magic.Length + 4 + 4;
    private const int HashBytes = 32;

    internal static readonly JsonSerializerOptions Json = CreateJsonOptions();

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        foreach (var converter in TrainingOptionsJson.Converters) options.Converters.Add(converter);
        return options;
    }

    /// <summary>Writes <paramref name="state"/> to <paramref name="stream"/>.</summary>
    internal static void Write(Stream stream, TrainingState state, string device)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tensors = new List<(string Name, Tensor Tensor)>();
        foreach (var (name, parameter) in state.Model.named_parameters())
            tensors.Add(($"model/{name}", parameter));
        for (int i = 0; i < state.Optimizer.Parameters.Count; i++)
        {
            tensors.Add(($"adam/m/{i}", state.Optimizer.FirstMoments[i]));
            tensors.Add(($"adam/v/{i}", state.Optimizer.SecondMoments[i]));
        }
        if (state.Validation?.BestWeights is { } best)
            tensors.AddRange(state.Model.named_parameters().Select((p, i) => ($"best/{p.name}", best[i])));
        if (state.Batches.Order is { } order) tensors.Add(("batches/order", order));
        tensors.Add(("batches/generator", state.Batches.Generator.get_state()));
        tensors.Add(("torch/generator", random.get_rng_state()));
        var cpuTensors = tensors.Select(t => (t.Name, Tensor: t.Tensor.detach().cpu().contiguous())).ToList();

        var header = new CheckpointHeader
        {
            Step = state.Step,
            Epoch = state.Batches.Epoch,
            Position = state.Batches.Position,
            AdamSteps = state.Optimizer.StepCount,
            Run = state.Options,
            InputSize = state.Model.InputSize,
            Classes = state.Model.Classes,
            ImageRows = state.Data.Rows,
            ImageColumns = state.Data.Columns,
            TrainCount = state.Data.Count,
            LibraryVersion = typeof(CheckpointFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            TorchSharpVersion = typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            LibTorchVersion = __version__,
            DataFingerprint = state.Data.Fingerprint,
            Validations = state.Validation?.History.ToList(),
            Threads = get_num_threads(),
            Device = device,
            CreatedUtc = DateTimeOffset.UtcNow,
            Tensors = cpuTensors.Select(t => new TensorEntry { Name = t.Name, Dtype = DtypeName(t.Tensor.dtype), Shape = t.Tensor.shape }).ToList(),
        };
        byte[] headerBytes = JsonSerializer.SerializeToUtf8Bytes(header, Json);

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
        foreach (var (_, tensor) in cpuTensors) Put(tensor.bytes);
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
        if (version != FormatVersion)
            throw new CheckpointException($"{path}: checkpoint format {version} is not supported; this version of MnistRnn reads format {FormatVersion}.");
        int headerLength = BitConverter.ToInt32(bytes, Magic.Length + 4);
        long payloadEnd = bytes.Length - HashBytes;
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || Prelude + (long)headerLength > payloadEnd)
            throw new CheckpointException($"{path}: the checkpoint's header length {headerLength} is impossible.");
        CheckpointHeader header;
        try
        {
            header = JsonSerializer.Deserialize<CheckpointHeader>(bytes.AsSpan(Prelude, headerLength), Json)
                ?? throw new JsonException("empty header");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: the checkpoint's header is not valid ({e.Message}).", e);
        }
        var problem = CheckpointRules.MissingPart(header);
        if (problem is not null) throw new CheckpointException($"{path}: the checkpoint's header is not valid ({problem}).");
        var tensors = new Dictionary<string, (long Offset, long[] Shape, ScalarType Dtype)>();
        long offset = Prelude + headerLength;
        foreach (var entry in header.Tensors)
        {
            // Each size is bounded before it is multiplied, so no product can overflow or wrap to a small number.
            if (DtypeOf(entry.Dtype) is not { } dtype || entry.Shape.Length > 8 || entry.Shape.Any(d => d < 0 || d > MaxBytes)
                || tensors.ContainsKey(entry.Name))
                throw new CheckpointException($"{path}: tensor {entry.Name} has an invalid shape or type, or appears twice.");
            long length = ElementSize(dtype);
            foreach (long d in entry.Shape)
            {
                length *= d;
                if (length > payloadEnd) throw new CheckpointException($"{path}: tensor {entry.Name} is larger than the file.");
            }
            tensors[entry.Name] = (offset, entry.Shape, dtype);
            offset += length;
            if (offset > payloadEnd) break;
        }
        if (offset != payloadEnd)
            throw new CheckpointException($"{path}: the tensors the header lists do not fill the file exactly.");
        var options = header.Run ?? header.Options!.ToTrainingOptions(path);
        if (options.Problems().FirstOrDefault() is { } invalid)
            throw new CheckpointException($"{path}: the checkpoint's options are not valid ({invalid.Property} {invalid.Message}).");
        var info = new CheckpointInfo(header.Step, options, header.InputSize, header.Classes, header.ImageRows, header.ImageColumns,
            header.TrainCount, header.LibraryVersion, header.TorchSharpVersion, header.LibTorchVersion, header.Device, header.CreatedUtc)
        {
            DataFingerprint = header.DataFingerprint,
            Threads = header.Threads is >= 1 and <= CheckpointRules.MaxThreads ? header.Threads : null,
        };
        var validations = header.Validations ?? [];
        problem = CheckpointRules.NumbersProblem(info, header.Epoch, header.Position, header.AdamSteps)
                  ?? CheckpointRules.ValidationsProblem(info, validations)
                  ?? CheckpointRules.TensorsProblem(info, tensors, bytes);
        if (problem is not null) throw new CheckpointException($"{path}: the checkpoint's header is not valid ({problem}).");
        return new Checkpoint(path, info, bytes, tensors, header.Epoch, header.Position, header.AdamSteps) { Validations = validations };
    }

    private static string DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Int64 => "int64",
        ScalarType.Byte => "uint8",
        _ => throw new NotSupportedException($"tensor type {type} is not stored in checkpoints."),
    };

    private static ScalarType? DtypeOf(string name) => name switch
    {
        "float32" => ScalarType.Float32,
        "int64" => ScalarType.Int64,
        "uint8" => ScalarType.Byte,
        _ => null,
    };

    internal static int ElementSize(ScalarType type) => type switch { ScalarType.Float32 => 4, ScalarType.Int64 => 8, _ => 1 };

    internal sealed class CheckpointHeader
    {
        public int Step { get; set; }
        public int Epoch { get; set; }
        public int Position { get; set; }
        public long AdamSteps { get; set; }
        // The training options: as one TrainingOptions record since validation existed, field by field (CheckpointOptions) before.
        public TrainingOptions? Run { get; set; }
        public CheckpointOptions? Options { get; set; }
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
        // Absent from checkpoints of runs without validation data, and from those written before validation existed.
        public List<ValidationRecord>? Validations { get; set; }
        // Absent from checkpoints written before it was recorded.
        public int? Threads { get; set; }
        public List<TensorEntry> Tensors { get; set; } = [];
    }

    internal sealed class TensorEntry
    {
        public string Name { get; set; } = "";
        public string Dtype { get; set; } = "";
        public long[] Shape { get; set; } = [];
    }
}
