using MnistRnn.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Training;

[Category("Unit")]
public sealed class GradientClippingTests
{
    // Two parameters whose gradients are (3, 4) and (12): global L2 norm 13.
    private static Parameter[] WithGradients()
    {
        var a = new Parameter(zeros(2));
        var b = new Parameter(zeros(1));
        a.grad = tensor(new float[] { 3, 4 });
        b.grad = tensor(new float[] { 12 });
        return [a, b];
    }

    private static float[] Gradients(Parameter[] parameters) =>
        parameters.SelectMany(p => p.grad!.data<float>().ToArray()).ToArray();

    [Test]
    public void Norm_clipping_rescales_to_the_threshold_and_reports_the_norm_before()
    {
        var parameters = WithGradients();

        var (norm, clipped) = GradientClipping.Apply(parameters, maxNorm: 6.5, maxValue: null);

        Assert.That(norm, Is.EqualTo(13).Within(1e-4));
        Assert.That(clipped, Is.True);
        Assert.That(Gradients(parameters), Is.EqualTo(new[] { 1.5f, 2f, 6f }).Within(1e-4));
    }

    [Test]
    public void Gradients_under_the_norm_threshold_are_untouched()
    {
        var parameters = WithGradients();

        var (norm, clipped) = GradientClipping.Apply(parameters, maxNorm: 100, maxValue: null);

        Assert.That((norm, clipped), Is.EqualTo((13.0, false)).Using<(double, bool)>((x, y) => Math.Abs(x.Item1 - y.Item1) < 1e-4 && x.Item2 == y.Item2));
        Assert.That(Gradients(parameters), Is.EqualTo(new[] { 3f, 4f, 12f }));
    }

    [Test]
    public void Without_thresholds_it_only_measures()
    {
        var parameters = WithGradients();

        var (norm, clipped) = GradientClipping.Apply(parameters, maxNorm: null, maxValue: null);

        Assert.That(norm, Is.EqualTo(13).Within(1e-4));
        Assert.That(clipped, Is.False);
        Assert.That(Gradients(parameters), Is.EqualTo(new[] { 3f, 4f, 12f }));
    }

    [Test]
    public void Value_clipping_clamps_each_element()
    {
        var parameters = WithGradients();

        GradientClipping.Apply(parameters, maxNorm: null, maxValue: 3.5);

        Assert.That(Gradients(parameters), Is.EqualTo(new[] { 3f, 3.5f, 3.5f }));
    }
}
