using MnistRnn.Mnist;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Mnist;

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

        var frame = DigitImagePreparation.ToMnistStyle(Rectangle(300, 200, 10, 5, 50, 105));

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

        var fromDark = DigitImagePreparation.ToMnistStyle(dark);
        var fromLight = DigitImagePreparation.ToMnistStyle(light);
        var forcedWrong = DigitImagePreparation.ToMnistStyle(light, InkPolarity.DarkOnLight);

        Assert.That(fromDark.allclose(fromLight), Is.True);
        Assert.That(forcedWrong.allclose(fromLight), Is.False);
    }

    [Test]
    public void A_blank_picture_stays_blank()
    {
        using var scope = NewDisposeScope();

        var frame = DigitImagePreparation.ToMnistStyle(new GrayscaleImage(10, 10, Enumerable.Repeat((byte)255, 100).ToArray()));

        Assert.That(frame.abs().max().item<float>(), Is.Zero);
    }

    [Test]
    public void Pixels_must_match_the_stated_size() =>
        Assert.Throws<ArgumentException>(() => new GrayscaleImage(3, 3, new byte[8]));
}
