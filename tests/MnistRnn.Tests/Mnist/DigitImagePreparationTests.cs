using MnistRnn.Mnist;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Mnist;

[Category("Unit")]
public sealed class DigitImagePreparationTests
{
    // A width x height picture with a filled rectangle of ink; dark ink on white unless lightOnDark.
    private static GrayscaleImage Rectangle(int width, int height, int left, int top, int right, int bottom, bool lightOnDark = false)
    {
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                bool ink = x >= left && x < right && y >= top && y < bottom;
                pixels[y * width + x] = (byte)(ink == lightOnDark ? 255 : 0);
            }
        return new GrayscaleImage(width, height, pixels);
    }

    [Test]
    public void A_dark_digit_anywhere_on_a_large_white_page_becomes_a_centred_light_digit_in_a_20_pixel_box()
    {
        // A 40x100 stroke near the top-left corner of a 300x200 page.
        using var scope = NewDisposeScope();

        var frame = Frame(DigitImagePreparation.ToMnistStyle(Rectangle(300, 200, 10, 5, 50, 105)));

        Assert.That(frame.shape, Is.EqualTo(new long[] { 28, 28 }));
        var ink = frame.gt(0.5);
        var rows = ink.any(1).nonzero().flatten();
        var columns = ink.any(0).nonzero().flatten();
        Assert.That(rows.shape[0], Is.EqualTo(20), "the longer side is scaled to 20");
        Assert.That(columns.shape[0], Is.EqualTo(8), "the aspect ratio is kept");
        Assert.That((rows[0].item<long>() + rows[-1].item<long>()) / 2.0, Is.EqualTo(13.5).Within(1), "centred vertically");
        Assert.That((columns[0].item<long>() + columns[-1].item<long>()) / 2.0, Is.EqualTo(13.5).Within(1), "centred horizontally");
        Assert.That(frame.max().item<float>(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(frame[0].abs().max().item<float>(), Is.Zero, "the border is background");
    }

    [Test]
    public void Polarity_is_detected_from_the_border_or_taken_as_given()
    {
        using var scope = NewDisposeScope();
        var dark = Rectangle(56, 56, 20, 10, 36, 46);
        var light = Rectangle(56, 56, 20, 10, 36, 46, lightOnDark: true);

        var fromDark = Frame(DigitImagePreparation.ToMnistStyle(dark));
        var fromLight = Frame(DigitImagePreparation.ToMnistStyle(light));
        var forcedWrong = Frame(DigitImagePreparation.ToMnistStyle(light, InkPolarity.DarkOnLight));

        Assert.That(fromDark.allclose(fromLight), Is.True);
        Assert.That(forcedWrong.allclose(fromLight), Is.False);
    }

    [Test]
    public void A_blank_picture_stays_blank()
    {
        using var scope = NewDisposeScope();

        var frame = Frame(DigitImagePreparation.ToMnistStyle(new GrayscaleImage(10, 10, Enumerable.Repeat((byte)255, 100).ToArray())));

        Assert.That(frame.abs().max().item<float>(), Is.Zero);
    }

    private static Tensor Frame(float[] values) => tensor(values, [28, 28]);

    // The same steps in TorchSharp, with PyTorch's own interpolation: what the arrays must compute.
    private static Tensor WithTorch(GrayscaleImage image)
    {
        var pixels = tensor(image.Pixels).reshape(image.Height, image.Width).to(ScalarType.Float32).div(255);
        var border = cat([pixels[0], pixels[-1], pixels.select(1, 0), pixels.select(1, -1)]);
        if (border.mean().item<float>() > 0.5) pixels = 1 - pixels;
        float max = pixels.max().item<float>();
        var ink = pixels.gt(DigitImagePreparation.InkThreshold * max);
        var inkRows = ink.any(1).nonzero().flatten();
        var inkColumns = ink.any(0).nonzero().flatten();
        long top = inkRows[0].item<long>(), bottom = inkRows[-1].item<long>(), left = inkColumns[0].item<long>(), right = inkColumns[-1].item<long>();
        var digit = pixels.narrow(0, top, bottom - top + 1).narrow(1, left, right - left + 1);
        double scale = 20.0 / Math.Max(digit.shape[0], digit.shape[1]);
        long height = Math.Max(1, (long)Math.Round(digit.shape[0] * scale)), width = Math.Max(1, (long)Math.Round(digit.shape[1] * scale));
        var mode = scale < 1 ? InterpolationMode.Area : InterpolationMode.Bilinear;
        var resized = nn.functional.interpolate(digit.unsqueeze(0).unsqueeze(0), [height, width], mode: mode).squeeze(0).squeeze(0).clamp(0, 1);
        double mass = resized.sum().item<float>();
        double rowCentre = (resized.sum(dim: 1) * arange(height, dtype: ScalarType.Float32)).sum().item<float>() / mass;
        double columnCentre = (resized.sum(dim: 0) * arange(width, dtype: ScalarType.Float32)).sum().item<float>() / mass;
        long rowOffset = Math.Clamp((long)Math.Round(13.5 - rowCentre), 0, 28 - height);
        long columnOffset = Math.Clamp((long)Math.Round(13.5 - columnCentre), 0, 28 - width);
        var frame = zeros(28, 28);
        frame.narrow(0, rowOffset, height).narrow(1, columnOffset, width).copy_(resized);
        return frame;
    }

    [TestCase(400, 300, 1)]
    [TestCase(120, 90, 2)]
    [TestCase(14, 11, 3)]
    [TestCase(9, 16, 4)]
    public void Pictures_shrink_and_grow_as_pytorchs_interpolation_does(int width, int height, int seed)
    {
        // A noisy blob of ink on paper: shrunk by area averaging, or grown bilinearly when smaller than the box.
        var random = new Random(seed);
        var pixels = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double dy = (y - height * 0.45) / height, dx = (x - width * 0.55) / width;
                pixels[y * width + x] = (byte)Math.Clamp(255 - 900 * Math.Exp(-12 * (dx * dx + dy * dy)) + random.Next(-30, 30), 0, 255);
            }
        var image = new GrayscaleImage(width, height, pixels);
        using var scope = NewDisposeScope();

        var frame = Frame(DigitImagePreparation.ToMnistStyle(image));

        Assert.That(frame.sub(WithTorch(image)).abs().max().item<float>(), Is.LessThan(1e-5f));
        Assert.That(frame.max().item<float>(), Is.GreaterThan(0.5f), "there is ink to compare");
    }

    [Test]
    public void Pixels_must_match_the_stated_size() =>
        Assert.Throws<ArgumentException>(() => new GrayscaleImage(3, 3, new byte[8]));
}
