using System.Security.Cryptography;
using System.Text.Json.Nodes;
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
    /// A property over lying headers, in one test with a fixed budget and a fixed seed (CI sees the same cases every run, and
    /// nothing trains while tests are discovered): every field of the genuine header set to every boundary value, then
    /// <see cref="RandomCases"/> random fields given random numbers. Each crafted file must be refused or work; every case
    /// that fails is reported with its field and value.
    /// </summary>
    [Test]
    public void A_lying_header_with_a_valid_hash_is_refused_or_works()
    {
        var random = new Random(11);
        var fields = Fields(Header(), []).Where(p => p.Length > 0).ToList();
        var cases = (from path in fields from value in Boundaries select (Path: path, Value: value)).ToList();
        for (int i = 0; i < RandomCases; i++)
        {
            var path = fields[random.Next(fields.Count)];
            JsonNode value = random.Next(3) switch { 0 => random.NextInt64(long.MinValue, long.MaxValue), 1 => random.Next(-3, 5000), _ => random.NextDouble() * 1e6 };
            cases.Add((path, value));
        }
        TestContext.Out.WriteLine($"{cases.Count} crafted headers: {fields.Count} fields at {Boundaries.Length} boundary values each, {RandomCases} at random");

        Assert.Multiple(() =>
        {
            foreach (var (path, value) in cases)
            {
                var header = Header();
                Set(header, path, value);
                AssertRefusedOrUsable(Seal(header), $"{string.Join('.', path)} = {value?.ToJsonString() ?? "null"}");
            }
        });
    }

    private const int RandomCases = 150;

    [Test]
    public void Generator_states_and_batch_orders_with_random_bytes_are_refused_or_work()
    {
        var header = Header();
        var spans = CheckpointSeal.TensorSpans(_genuine);
        var random = new Random(5);
        foreach (string name in new[] { "batches/generator", "torch/generator", "batches/order" })
        {
            for (int trial = 0; trial < 20; trial++)
            {
                byte[] payload = _genuine[(Prelude + HeaderLength())..^32];
                var (start, length) = spans[name];
                // Either a few bytes at the front (where the generator's counters are) or anywhere.
                int position = (int)start + (trial % 2 == 0 ? random.Next(24) : random.Next((int)length));
                payload[position] = (byte)random.Next(256);
                if (trial % 3 == 0) BitConverter.GetBytes(random.NextInt64()).CopyTo(payload, (int)start + 8 * random.Next((int)Math.Min(3, length / 8)));
                AssertRefusedOrUsable(Seal(header, payload));
            }
        }
    }

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
