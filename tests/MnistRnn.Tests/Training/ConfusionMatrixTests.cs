using MnistRnn.Training;

namespace MnistRnn.Tests.Training;

[Category("Unit")]
public sealed class ConfusionMatrixTests
{
    private static ConfusionMatrix ThreeClasses()
    {
        var matrix = new ConfusionMatrix(3);
        foreach (var (actual, predicted) in new[] { (0, 0), (0, 0), (0, 1), (1, 1), (2, 1), (2, 2), (2, 2) }) matrix.Add(actual, predicted);
        return matrix;
    }

    [Test]
    public void It_prints_as_a_table_of_true_against_predicted_classes()
    {
        Assert.That(ThreeClasses().ToString(), Is.EqualTo(
            " true    0    1    2\n" +
            "    0    2    1    0\n" +
            "    1    0    1    0\n" +
            "    2    0    1    2\n"));
        Assert.That(ThreeClasses().ToTable(csv: true), Is.EqualTo("actual\\predicted,0,1,2\n0,2,1,0\n1,0,1,0\n2,0,1,2\n"));
    }

    [Test]
    public void Per_class_figures_leave_an_undefined_precision_empty()
    {
        var matrix = new ConfusionMatrix(2);
        matrix.Add(0, 1);
        matrix.Add(1, 1);

        Assert.That(matrix.PerClassTable(csv: true), Is.EqualTo("class,precision,recall,support\n0,,0.0000,1\n1,0.5000,1.0000,1\n"));
        Assert.That(ThreeClasses().PerClassTable(), Does.StartWith("class  precision  recall  support\n    0     1.0000  0.6667        3\n"));
    }
}
