using MnistRnn.Data;
using MnistRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Data;

/// <summary>Each mistake a user makes with their own data is one sentence when the dataset is built, not a libtorch error in training.</summary>
[Category("Unit")]
public sealed class SequenceDatasetTests
{
    private static string Refusal(Func<Tensor> sequences, Func<Tensor> labels, int classes = 4, Func<Tensor?>? lengths = null)
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => new SequenceDataset(sequences(), labels(), classes, lengths?.Invoke()))!;
        Assert.That(error.Message.TrimEnd('.').Split(". ", StringSplitOptions.None), Has.Length.EqualTo(1), "one sentence: " + error.Message);
        return error.Message;
    }

    [Test]
    public void A_series_without_a_feature_dimension_is_told_to_unsqueeze() =>
        Assert.That(Refusal(() => zeros(5, 50), () => zeros(5, ScalarType.Int64)), Does.Contain("(count, steps, features), got (5, 50)").And.Contain("unsqueeze(-1)"));

    [Test]
    public void Float64_sequences_are_refused() =>
        Assert.That(Refusal(() => zeros(new long[] { 5, 50, 1 }, ScalarType.Float64), () => zeros(5, ScalarType.Int64)), Does.Contain("must be float32, got Float64"));

    [Test]
    public void Int32_labels_are_refused() =>
        Assert.That(Refusal(() => zeros(5, 50, 1), () => zeros(5, ScalarType.Int32)), Does.Contain("labels must be int64, got Int32"));

    [Test]
    public void A_label_beyond_the_classes_is_named_with_its_item() =>
        Assert.That(Refusal(() => zeros(5, 50, 1), () => tensor(new long[] { 0, 1, 2, 4, 3 }), classes: 4), Does.Contain("0 to 3 for 4 classes, but item 3 is 4"));

    [Test]
    public void A_negative_label_is_refused() =>
        Assert.That(Refusal(() => zeros(3, 2, 1), () => tensor(new long[] { 0, -1, 1 }), classes: 2), Does.Contain("item 1 is -1"));

    [Test]
    public void Counts_that_differ_are_refused() =>
        Assert.That(Refusal(() => zeros(5, 50, 1), () => zeros(4, ScalarType.Int64)), Does.Contain("labels must have shape (5)"));

    [Test]
    public void A_single_class_is_refused() =>
        Assert.That(Refusal(() => zeros(5, 50, 1), () => zeros(5, ScalarType.Int64), classes: 1), Does.Contain("classes must be 2"));

    [Test]
    public void Non_finite_values_are_named_with_their_item()
    {
        Assert.That(Refusal(() => { var x = zeros(4, 3, 2); x[2, 1, 0] = tensor(float.NaN); return x; }, () => zeros(4, ScalarType.Int64)),
            Does.Contain("item 2 holds NaN or infinity"));
    }

    [Test]
    public void Lengths_beyond_the_steps_are_refused() =>
        Assert.That(Refusal(() => zeros(3, 6, 1), () => zeros(3, ScalarType.Int64), lengths: () => tensor(new long[] { 6, 7, 1 })), Does.Contain("1 to 6 steps, but item 1 is 7"));

    [Test]
    public void Zero_lengths_are_refused() =>
        Assert.That(Refusal(() => zeros(3, 6, 1), () => zeros(3, ScalarType.Int64), lengths: () => tensor(new long[] { 6, 0, 1 })), Does.Contain("item 1 is 0"));

    [Test]
    public void Arrays_become_tensors_in_count_steps_features_order()
    {
        var values = new float[2, 3, 2];
        for (int i = 0; i < 2; i++)
            for (int t = 0; t < 3; t++)
                for (int f = 0; f < 2; f++) values[i, t, f] = 100 * i + 10 * t + f;
        using var data = SequenceDataset.FromArrays(values, [1, 0], classes: 2, lengths: [3, 2]);

        Assert.That((data.Count, data.Steps, data.Features, data.Classes), Is.EqualTo((2, 3, 2, 2)));
        Assert.That(data.Sequences[1, 2, 1].item<float>(), Is.EqualTo(121f));
        Assert.That(data.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 0 }));
        Assert.That(data.Lengths!.data<long>().ToArray(), Is.EqualTo(new long[] { 3, 2 }));
    }

    [Test]
    public void A_flat_array_of_the_wrong_size_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => SequenceDataset.FromArrays(new float[10], steps: 3, features: 2, [0, 1], classes: 2))!;
        Assert.That(error.Message, Does.Contain("values hold 10 numbers where 2 labels of 3 steps of 2 features need 12"));
    }

    [Test]
    public void A_csv_of_fixed_width_rows_is_read_with_or_without_a_header()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "series.csv");
        File.WriteAllText(path, "label,a1,b1,a2,b2\n2,0.5,1,1.5,2\n\n0,-1e-1,0,0,3\n");
        using var data = SequenceDataset.FromCsv(path, steps: 2, features: 2, classes: 3);

        Assert.That((data.Count, data.Steps, data.Features), Is.EqualTo((2, 2, 2)));
        Assert.That(data.Labels.data<long>().ToArray(), Is.EqualTo(new long[] { 2, 0 }));
        Assert.That(data.Sequences[0, 1, 0].item<float>(), Is.EqualTo(1.5f));
        Assert.That(data.Sequences[1, 0, 0].item<float>(), Is.EqualTo(-0.1f));
    }

    [TestCase("1,0.5,1\n", "line 1: a row needs a label and 4 numbers (2 steps of 2), found 3 fields")]
    [TestCase("1,0.5,1,2,3\n5,1,1,1,1\n", "line 2: the label '5' is not a whole number from 0 to 2")]
    [TestCase("1,0.5,1,2,3\n0,1,x,1,1\n", "line 2, field 3: 'x' is not a finite number")]
    [TestCase("1,0.5,1,2,NaN\n", "line 1, field 5: 'NaN' is not a finite number")]
    [TestCase("label,a,b,c,d\n", "holds no rows of data")]
    [TestCase("label;a;b;c;d\n1;0,5;1;2;3\n", "line 1: the fields are separated by semicolons; this reader takes commas between fields and a point for decimals")]
    [TestCase("1\t0.5\t1\t2\t3\n", "line 1: the fields are separated by tabs")]
    public void A_bad_csv_names_the_line(string text, string expected)
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "series.csv");
        File.WriteAllText(path, text);
        var error = Assert.Throws<InvalidDataException>(() => SequenceDataset.FromCsv(path, steps: 2, features: 2, classes: 3))!;
        Assert.That(error.Message, Does.StartWith(path).And.Contain(expected));
    }

    [Test]
    public void A_csv_of_rows_of_different_lengths_gives_each_its_length_and_pads_with_zeros()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "ragged.csv");
        File.WriteAllText(path, "label,values\n1,0.5,1\n0,1,2,3,4,5,6\n2,7,8,9,10\n");

        using var data = SequenceDataset.FromVariableLengthCsv(path, features: 2, classes: 3);

        Assert.That((data.Count, data.Steps, data.Features), Is.EqualTo((3, 3, 2)));
        Assert.That(data.Lengths!.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 3, 2 }));
        Assert.That(data.Sequences[0].data<float>().ToArray(), Is.EqualTo(new float[] { 0.5f, 1, 0, 0, 0, 0 }), "padded with zeros");
        Assert.That(data.Sequences[2, 1, 1].item<float>(), Is.EqualTo(10f));
        var error = Assert.Throws<InvalidDataException>(() =>
        {
            File.WriteAllText(path, "1,0.5,1,2\n");
            SequenceDataset.FromVariableLengthCsv(path, features: 2, classes: 3);
        })!;
        Assert.That(error.Message, Is.EqualTo($"{path} line 1: a row needs a label and a whole number of steps of 2 numbers, found 3 numbers."));
    }

    [Test]
    public void Padding_past_a_length_may_hold_anything_and_is_never_read()
    {
        // The same sequences padded with zeros and with NaN train to the same weights: the padding is not checked nor read.
        using var scope = NewDisposeScope();
        var values = rand(8, 5, 2);
        var lengths = tensor(new long[] { 5, 2, 3, 1, 4, 5, 2, 3 });
        var padding = arange(5).unsqueeze(0).ge(lengths.unsqueeze(1)).unsqueeze(2).expand(8, 5, 2);
        using var zeros = new SequenceDataset(values.masked_fill(padding, 0), tensor(new long[] { 0, 1, 0, 1, 0, 1, 0, 1 }), 2, lengths.clone());
        using var nan = new SequenceDataset(values.masked_fill(padding, float.NaN), tensor(new long[] { 0, 1, 0, 1, 0, 1, 0, 1 }), 2, lengths.clone());
        float[] Trained(SequenceDataset data)
        {
            var trainer = new MnistRnn.Training.Trainer(new MnistRnn.Training.TrainingOptions { Cell = MnistRnn.Models.CellKind.Gru, Steps = 5, BatchSize = 4, HiddenSize = 4, StallWindow = 0 });
            using var model = trainer.CreateModel(data);
            var result = trainer.Train(model, data);
            Assert.That(double.IsFinite(result.LastStep.Loss), Is.True);
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }

        Assert.That(Trained(nan), Is.EqualTo(Trained(zeros)));
        Assert.That(Refusal(() => values.masked_fill(padding.logical_not(), float.NaN), () => torch.zeros(8, ScalarType.Int64), 2, () => lengths.clone()),
            Does.Contain("sequences must be finite within their lengths, but item 0 holds NaN or infinity"));
    }
}
