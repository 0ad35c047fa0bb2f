using System.Text.Json;
using static TorchSharp.torch;

namespace MnistRnn.Checkpoints;

/// <summary>
/// One owner's part of a checkpoint, in the manner of PyTorch's <c>state_dict</c>: the tensors and plain values a stateful
/// part of a run (the model, the optimizer, the batch order, a <see cref="Training.TrainingCallback"/>) saves under its
/// own name, and reads back when the run resumes. Each owner sees only its own section.
/// </summary>
/// <remarks>
/// Tensors are stored as float32, int64 or uint8 on the CPU; values as JSON (numbers, strings, booleans, records). Reading
/// checks every name, shape and type before anything is allocated, and a missing or malformed entry is a
/// <see cref="CheckpointException"/> naming the checkpoint, the section and the entry.
/// </remarks>
public sealed class StateSection
{
    /// <summary>Longest name a section or an entry may have; names end up in one-line messages.</summary>
    public const int MaxNameLength = 64;

    private readonly List<(string Name, Tensor Tensor)> _saved = [];
    private readonly Dictionary<string, StoredTensor> _stored = [];
    private readonly Dictionary<string, JsonElement> _values = [];
    private readonly string _origin;

    internal StateSection(string name, string origin)
    {
        Name = name;
        _origin = origin;
    }

    /// <summary>The section's name in the checkpoint.</summary>
    public string Name { get; }

    /// <summary>Whether nothing was saved in it.</summary>
    public bool IsEmpty => _saved.Count == 0 && _stored.Count == 0 && _values.Count == 0;

    /// <summary>The names of its tensors, in the order they were saved.</summary>
    public IEnumerable<string> TensorNames => _saved.Count > 0 ? _saved.Select(t => t.Name) : _stored.Keys;

    /// <summary>The names of its values.</summary>
    public IEnumerable<string> ValueNames => _values.Keys;

    /// <summary>Saves a copy of <paramref name="tensor"/> (float32, int64 or uint8) under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is taken, empty, too long or has control characters, or the type is not stored.</exception>
    public void Save(string name, Tensor tensor)
    {
        CheckNewName(name);
        if (CheckpointFile.DtypeName(tensor.dtype) is null)
            throw new ArgumentException($"a checkpoint stores float32, int64 and uint8 tensors, not {tensor.dtype}; convert {name} first.", nameof(tensor));
        // Belongs to the dispose scope the checkpoint is written in.
        _saved.Add((name, tensor.detach().cpu().contiguous()));
    }

    /// <summary>
    /// Saves <paramref name="value"/> (a number, string, boolean, or a record or list of them) as JSON under
    /// <paramref name="name"/>; NaN and the infinities are saved as JSON's strings "NaN", "Infinity" and "-Infinity".
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The name is taken, empty, too long or has control characters, or the value cannot be saved (a delegate, a pointer, a
    /// cycle); the message names the section and the value.
    /// </exception>
    public void SaveValue<T>(string name, T value)
    {
        CheckNewName(name);
        try
        {
            _values[name] = JsonSerializer.SerializeToElement(value, ValueJson);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"section {Name}: value {name} ({value?.GetType().Name ?? "null"}) cannot be saved in a checkpoint " +
                $"({e.Message.Split('\n')[0].TrimEnd('.')}); save numbers, strings, booleans, or records and lists of them.", e);
        }
    }

    // Values as JSON with the non-finite numbers a running figure often starts at (a best loss of +Infinity).
    private static readonly JsonSerializerOptions ValueJson = new(CheckpointFile.Json)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Whether the section holds a tensor or a value named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _values.ContainsKey(name) || _stored.ContainsKey(name) || _saved.Any(t => t.Name == name);

    /// <summary>The shape of the stored tensor <paramref name="name"/>.</summary>
    /// <exception cref="CheckpointException">There is no such tensor.</exception>
    public long[] ShapeOf(string name) => Stored(name).Shape;

    /// <summary>A new CPU tensor holding the stored tensor <paramref name="name"/>, which must have <paramref name="shape"/> and <paramref name="dtype"/>.</summary>
    /// <exception cref="CheckpointException">It is missing or of another shape or type.</exception>
    public Tensor Load(string name, ReadOnlySpan<long> shape, ScalarType dtype)
    {
        var stored = Stored(name);
        if (!stored.Shape.AsSpan().SequenceEqual(shape) || stored.Dtype != dtype)
            throw Problem($"tensor {name} is {CheckpointFile.DtypeName(stored.Dtype)} of shape ({string.Join(", ", stored.Shape)}) " +
                          $"where {CheckpointFile.DtypeName(dtype)} of shape ({string.Join(", ", shape.ToArray())}) is needed");
        var tensor = empty(stored.Shape, stored.Dtype);
        tensor.bytes = stored.Bytes.Span;
        return tensor;
    }

    /// <summary>Copies the stored tensor <paramref name="name"/> into <paramref name="destination"/>, whose shape and type it must have.</summary>
    /// <exception cref="CheckpointException">It is missing or of another shape or type.</exception>
    public void LoadInto(string name, Tensor destination)
    {
        using var noGrad = no_grad();
        using var loaded = Load(name, destination.shape, destination.dtype);
        destination.copy_(loaded);
    }

    /// <summary>The value saved under <paramref name="name"/>.</summary>
    /// <exception cref="CheckpointException">It is missing or not a <typeparamref name="T"/>.</exception>
    public T LoadValue<T>(string name)
    {
        if (!_values.TryGetValue(name, out var element)) throw Problem($"it has no value {name}");
        try
        {
            return element.Deserialize<T>(ValueJson) ?? throw new JsonException("it is null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            throw Problem($"value {name} is not a {typeof(T).Name}");
        }
    }

    /// <summary>The value saved under <paramref name="name"/>, or null when the section has none or it is not a <typeparamref name="T"/>.</summary>
    internal T? TryLoad<T>(string name) where T : struct
    {
        try
        {
            return _values.ContainsKey(name) ? LoadValue<T>(name) : null;
        }
        catch (CheckpointException)
        {
            return null;
        }
    }

    internal CheckpointException Problem(string what) => new($"{_origin}: section {Name}: {what}.");

    internal IReadOnlyList<(string Name, Tensor Tensor)> SavedTensors => _saved;

    internal IReadOnlyDictionary<string, JsonElement> Values => _values;

    internal IReadOnlyDictionary<string, StoredTensor> StoredTensors => _stored;

    internal void AddStored(string name, StoredTensor tensor) => _stored[name] = tensor;

    internal void AddValue(string name, JsonElement value) => _values[name] = value;

    private StoredTensor Stored(string name) => _stored.TryGetValue(name, out var stored) ? stored : throw Problem($"it has no tensor {name}");

    private void CheckNewName(string name)
    {
        if (!IsPlainName(name)) throw new ArgumentException($"'{name}' is not a name a checkpoint keeps: 1 to {MaxNameLength} characters, none a control character.", nameof(name));
        if (Contains(name)) throw new ArgumentException($"section {Name} already holds {name}.", nameof(name));
    }

    internal static bool IsPlainName(string? name) => name is { Length: > 0 and <= MaxNameLength } && !name.Any(char.IsControl);

    /// <summary>A tensor as the file holds it: its bytes, shape and type, not yet copied into a tensor.</summary>
    internal sealed record StoredTensor(Memory<byte> Bytes, long[] Shape, ScalarType Dtype)
    {
        /// <summary>Whether every element is a float32 that <paramref name="isValid"/> accepts; false for another type.</summary>
        public bool AllFloats(Func<float, bool> isValid)
        {
            if (Dtype != ScalarType.Float32) return false;
            foreach (float value in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Bytes.Span))
                if (!isValid(value)) return false;
            return true;
        }
    }

    /// <summary>
    /// The first of <paramref name="weights"/> that holds something other than finite float32 numbers, which no run writes (it
    /// skips the update of a non-finite step), so a corrupt or crafted file; null when there is none.
    /// </summary>
    internal static string? NotFinite(IEnumerable<KeyValuePair<string, StoredTensor>> weights) =>
        weights.FirstOrDefault(w => !w.Value.AllFloats(float.IsFinite)).Key is { } name ? $"weight {name} holds numbers that are not finite" : null;
}
