using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Mnist;
using MnistRnn.Models;
using MnistRnn.Tests.Support;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Hostile;

/// <summary>
/// Checkpoints whose header lies, each re-sealed with a valid SHA-256 so the hash cannot catch it: every
/// field set to boundary and random values. Reading, building the model and resuming must either work or
/// refuse with a <see cref="CheckpointException"/> naming the file, in bounded time and memory; never
/// another exception, and never a native abort (which would take this test process down).
/// </summary>
[Category("Hostile")]
public sealed class CheckpointFuzzTests
{
    private const int Prelude = 16;
    private TempFolder _folder = null!;
    private SequenceDataset _data = null!;
    private byte[] _genuine = null!;

    [OneTimeSetUp]
    public void TrainOnce()
    {
        _folder = new TempFolder();
        _data = LearnableTasks.Brightness(seed: 3);
        // Validated, with the best weights kept, a weight average and a plateau schedule, so the header lists validations and
        // the file holds best weights, averages and a scheduler's record to lie about.
        var trainer = new Trainer(new TrainingOptions
            {
                Cell = CellKind.Lstm, Steps = 6, BatchSize = 16, HiddenSize = 8, Device = DeviceChoice.Cpu, ValidateEvery = 2, RestoreBestWeights = true,
                EmaDecay = 0.9, Schedule = LearningRateSchedule.ReduceOnPlateau(),
            }, null)
        { Callbacks = [new CheckpointStore(_folder.File("genuine"))] };
        using var model = trainer.CreateModel(CPU, inputSize: 4, classes: 2);
        var trained = trainer.Train(model, _data, validation: _data);
        _genuine = File.ReadAllBytes(trained.LastCheckpoint!);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        _data.Dispose();
        _folder.Dispose();
    }

    private static readonly JsonNode?[] Boundaries =
        [null, -1, 0, 1, 2, 3, int.MaxValue, int.MinValue, 1_000_000_000, 1L << 40, long.MaxValue, 1.5, "x", "a\nb", new JsonArray(), new JsonObject()];

    // Every number, string and array in the header, as a path of property names and indices.
    private static IEnumerable<object[]> Fields(JsonNode node, object[] path)
    {
        switch (node)
        {
            case JsonObject obj:
                yield return path;
                foreach (var (name, child) in obj)
                    foreach (var nested in child is null ? [[.. path, name]] : Fields(child, [.. path, name])) yield return nested;
                break;
            case JsonArray array:
                yield return path;
                for (int i = 0; i < array.Count; i++)
                    foreach (var nested in Fields(array[i]!, [.. path, i])) yield return nested;
                break;
            default:
                yield return path;
                break;
        }
    }

    private static void Set(JsonNode root, object[] path, JsonNode? value)
    {
        var parent = path[..^1].Aggregate(root, (node, key) => key is int i ? node[i]! : node[(string)key]!);
        if (path[^1] is int index) parent.AsArray()[index] = value?.DeepClone();
        else parent.AsObject()[(string)path[^1]] = value?.DeepClone();
    }

    private JsonNode Header() => JsonNode.Parse(_genuine.AsSpan(Prelude, HeaderLength()))!;

    private int HeaderLength() => BitConverter.ToInt32(_genuine, 12);

    // The genuine payload (or a replacement) under a new header, sealed with a valid SHA-256.
    private byte[] Seal(JsonNode header, byte[]? payload = null)
    {
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        payload ??= _genuine[(Prelude + HeaderLength())..^32];
        byte[] body = [.. _genuine[..12], .. BitConverter.GetBytes(json.Length), .. json, .. payload];
        return [.. body, .. SHA256.HashData(body)];
    }

    /// <summary>
    /// Every field of the genuine header set to every boundary value, in one test (nothing trains while tests are
    /// discovered). Each crafted file must be refused or work; every case that fails is reported with its field and value.
    /// </summary>
    [Test]
    public void A_lying_header_with_a_valid_hash_is_refused_or_works()
    {
        var cases = (from path in HeaderFields() from value in Boundaries select (Path: path, Value: value)).ToList();
        TestContext.Out.WriteLine($"{cases.Count} crafted headers: {HeaderFields().Count} fields at {Boundaries.Length} boundary values each");

        Assert.Multiple(() =>
        {
            foreach (var (path, value) in cases) AssertRefusedOrUsable(Crafted(path, value), Describe(path, value));
        });
    }

    /// <summary>
    /// A property: a random field of the header given a random number (any 64-bit integer, a small one, or a fraction) is
    /// refused or works, over 150 cases drawn with a fixed replay seed, so CI checks the same ones every run; a failure
    /// names the field, the value and the seed to replay it.
    /// </summary>
    [Test]
    public void A_random_field_given_a_random_number_is_refused_or_works()
    {
        var fields = HeaderFields();
        var numbers = Gen.OneOf(
            from high in Gen.Choose(int.MinValue, int.MaxValue) from low in Gen.Choose(int.MinValue, int.MaxValue) select (JsonNode)(((long)high << 32) | (uint)low),
            Gen.Choose(-3, 4999).Select(n => (JsonNode)n),
            from whole in Gen.Choose(0, 999_999) from part in Gen.Choose(0, 999) select (JsonNode)(whole + part / 1000.0));
        var cases = from path in Gen.Elements(fields.ToArray()) from value in numbers select new HeaderCase(path, value);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(150).WithReplay(11UL, 0x9E3779B97F4A7C15UL),
            Prop.ForAll(Arb.From(cases), (HeaderCase c) => AssertRefusedOrUsable(Crafted(c.Path, c.Value), c.ToString())));
    }

    private sealed record HeaderCase(object[] Path, JsonNode? Value)
    {
        public override string ToString() => Describe(Path, Value);
    }

    private List<object[]> HeaderFields() => Fields(Header(), []).Where(p => p.Length > 0).ToList();

    private byte[] Crafted(object[] path, JsonNode? value)
    {
        var header = Header();
        Set(header, path, value?.DeepClone());
        return Seal(header);
    }

    private static string Describe(object[] path, JsonNode? value) => $"{string.Join('.', path)} = {value?.ToJsonString() ?? "null"}";

    /// <summary>
    /// A property: a generator state or a batch order with a random byte (near its front, where the counters are, or
    /// anywhere), and sometimes a random 64-bit word, is refused or works; 60 cases with a fixed replay seed.
    /// </summary>
    [Test]
    public void Generator_states_and_batch_orders_with_random_bytes_are_refused_or_work()
    {
        var spans = CheckpointSeal.TensorSpans(_genuine);
        var cases =
            from name in Gen.Elements("batches/generator", "torch/generator", "batches/order")
            from nearFront in Gen.Elements(true, false)
            from offset in Gen.Choose(0, nearFront ? 23 : spans[name].Length - 1)
            from value in Gen.Choose(0, 255)
            from word in Gen.Frequency((2, Gen.Constant<(int, long)?>(null)),
                (1, from slot in Gen.Choose(0, Math.Min(3, spans[name].Length / 8) - 1)
                    from high in Gen.Choose(int.MinValue, int.MaxValue) from low in Gen.Choose(int.MinValue, int.MaxValue)
                    select ((int, long)?)(slot, ((long)high << 32) | (uint)low)))
            select new TensorCase(name, offset, (byte)value, word);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60).WithReplay(5UL, 0x9E3779B97F4A7C15UL), Prop.ForAll(Arb.From(cases), (TensorCase c) =>
        {
            byte[] payload = _genuine[(Prelude + HeaderLength())..^32];
            int start = spans[c.Name].Offset;
            payload[start + c.Offset] = c.Value;
            if (c.Word is var (slot, word)) BitConverter.GetBytes(word).CopyTo(payload, start + 8 * slot);
            AssertRefusedOrUsable(Seal(Header(), payload), c.ToString());
        }));
    }

    private sealed record TensorCase(string Name, int Offset, byte Value, (int Slot, long Word)? Word);

    private void AssertRefusedOrUsable(byte[] crafted, string what = "a crafted file")
    {
        string path = _folder.File($"crafted-{Guid.NewGuid():N}.ckpt");
        File.WriteAllBytes(path, crafted);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var checkpoint = CheckpointFile.Read(path);
            using (var model = checkpoint.CreateModel()) { }
            var options = checkpoint.Info.Options with { Steps = checkpoint.Info.Step + 1, Device = DeviceChoice.Cpu, CheckpointEvery = 0 };
            var trainer = new Trainer(options, null);
            using var resumed = trainer.CreateModel(CPU, checkpoint.Info.InputSize, checkpoint.Info.Classes);
            // With validation data (the same split will do), as a run that validates must be resumed.
            trainer.Train(resumed, _data, validation: _data, resume: checkpoint);
        }
        catch (CheckpointException e)
        {
            Assert.That(e.Message, Does.StartWith(path).And.Not.Contain("\n"), what);
        }
        catch (TrainingDivergedException)
        {
            // Weights that are numbers but not good ones: a typed, one-sentence end of training.
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            File.Delete(path);
        }
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), $"{what}: bounded time");
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64L << 20), $"{what}: bounded managed memory");
    }
}
