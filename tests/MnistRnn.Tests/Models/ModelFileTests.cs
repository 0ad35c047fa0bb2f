using System.Buffers.Binary;
using System.Text;
using MnistRnn.IO;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Models;

/// <summary>A model saved without a trainer loads back with the same architecture and the same outputs; a bad file is one sentence.</summary>
[Category("Unit")]
public sealed class ModelFileTests
{
    private static readonly RecurrentClassifierOptions Architecture = new(CellKind.Gru, InputSize: 3, HiddenSize: 5, Classes: 4) { Layers = 2, Bidirectional = true, Dropout = 0.1 };

    [Test]
    public void A_saved_model_loads_with_its_architecture_and_gives_the_same_logits()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        manual_seed(11);
        using var model = new RecurrentClassifier(Architecture);
        model.eval();
        ModelFile.Save(model, path, new Dictionary<string, string> { ["note"] = "kept" });

        using var loaded = ModelFile.Load(path);
        using var scope = NewDisposeScope();
        var input = randn(6, 9, 3);

        Assert.That(loaded.Options, Is.EqualTo(Architecture));
        Assert.That(loaded.training, Is.False);
        Assert.That(loaded.forward(input).eq(model.forward(input)).all().item<bool>(), Is.True);
        Assert.That(ModelFile.ReadMetadata(path)["note"], Is.EqualTo("kept"));
        Assert.That(Directory.GetFiles(folder.Path), Has.Length.EqualTo(1), "no temporary file is left");
    }

    [Test]
    public void The_weights_are_stored_under_the_modules_own_names()
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        using var model = new RecurrentClassifier(new RecurrentClassifierOptions(CellKind.Lstm, 2, 3, 2));
        ModelFile.Save(model, path);

        var (tensors, metadata) = SafeTensorsFile.Read(path, maxElements: 1000);

        Assert.That(tensors.Select(t => t.Name), Is.EquivalentTo(new[]
        {
            "recurrent.weight_ih_l0", "recurrent.weight_hh_l0", "recurrent.bias_ih_l0", "recurrent.bias_hh_l0", "classifier.weight", "classifier.bias",
        }));
        Assert.That(metadata["cell"], Is.EqualTo("lstm"));
        Assert.That(metadata["hidden_size"], Is.EqualTo("3"));
    }

    [Test]
    public void A_missing_weight_is_named() =>
        Assert.That(RefusalOfTampered((tensors, metadata) => (tensors.Where(t => t.Name != "recurrent.bias_hh_l0").ToList(), metadata)),
            Does.Contain("has no weight recurrent.bias_hh_l0"));

    [Test]
    public void A_mis_shaped_weight_is_named() =>
        Assert.That(RefusalOfTampered((tensors, metadata) => (tensors.Select(t => t.Name == "classifier.weight" ? t with { Shape = [3, 2] } : t).ToList(), metadata)),
            Does.Contain("weight classifier.weight has shape (3, 2) where a lstm, hidden 3, 2 input features, 2 classes model needs (2, 3)"));

    [Test]
    public void Metadata_claiming_a_huge_model_is_refused_before_its_weights_are_read() =>
        Assert.That(RefusalOfTampered((tensors, metadata) => (tensors, new Dictionary<string, string>(metadata) { ["hidden_size"] = "30000" })),
            Does.Contain("weight recurrent.weight_ih_l0 has shape (12, 2) where a lstm, hidden 30000, 2 input features, 2 classes model needs (120000, 2)"));

    // Saves a small LSTM, rewrites its file as the tampering says, and returns the message loading it gives.
    private static string RefusalOfTampered(
        Func<IReadOnlyList<SafeTensorsFile.Entry>, IReadOnlyDictionary<string, string>, (IReadOnlyList<SafeTensorsFile.Entry>, IReadOnlyDictionary<string, string>)> tamper)
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        using (var model = new RecurrentClassifier(new RecurrentClassifierOptions(CellKind.Lstm, 2, 3, 2))) ModelFile.Save(model, path);
        var (tensors, metadata) = SafeTensorsFile.Read(path, 1000);
        var (changed, changedMetadata) = tamper(tensors, metadata);
        SafeTensorsFile.Write(path, changed, changedMetadata);
        return Assert.Throws<InvalidDataException>(() => ModelFile.Load(path))!.Message;
    }

    [TestCase(ulong.MaxValue, "the header length")]
    [TestCase(3ul, "not valid JSON")]
    public void A_crafted_header_is_one_sentence(ulong headerLength, string expected)
    {
        using var folder = new TempFolder();
        string path = folder.File("model.safetensors");
        byte[] json = Encoding.UTF8.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        byte[] bytes = new byte[8 + json.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path))!;
        Assert.That(error.Message, Does.StartWith($"{path} is not a usable safetensors file").And.Contain(expected));
    }

    [Test]
    public void Overlapping_tensors_are_refused()
    {
        using var folder = new TempFolder();
        string path = folder.File("data.safetensors");
        byte[] json = Encoding.UTF8.GetBytes(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}");
        byte[] bytes = new byte[8 + json.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path, 100))!;
        Assert.That(error.Message, Does.Contain("starts at byte 4 where 8 was expected"));
    }
}
