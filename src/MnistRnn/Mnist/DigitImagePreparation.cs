using static TorchSharp.torch;

namespace MnistRnn.Mnist;

/// <summary>
/// Turns any grayscale picture of a digit into what MNIST looks like: light ink on black, the digit's
/// bounding box scaled (keeping its aspect ratio) to fit a 20x20 box, placed in a 28x28 frame with its
/// centre of mass at the centre, values in [0, 1]. That is how MNIST itself was made, so a digit
/// photographed or drawn at any size reads as the training images did. Other frame sizes scale alike.
/// </summary>
public static class DigitImagePreparation
{
    /// <summary>Ink fainter than this fraction of the brightest pixel is treated as background when finding the digit's box.</summary>
    public const double InkThreshold = 0.2;

    /// <summary>The smallest frame side a digit can be drawn into: a 20/28 box inside it must hold at least a few pixels.</summary>
    public const int MinSide = 4;

    /// <summary>The image as a (rows, columns) float tensor in MNIST's style. The result belongs to the caller's dispose scope.</summary>
    public static Tensor ToMnistStyle(GrayscaleImage image, InkPolarity polarity = InkPolarity.Auto, int rows = 28, int columns = 28)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, MinSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, MinSide);
        using var scope = NewDisposeScope();
        var pixels = tensor(image.Pixels).reshape(image.Height, image.Width).to(ScalarType.Float32).div(255);
        if (polarity == InkPolarity.DarkOnLight || (polarity == InkPolarity.Auto && BorderMean(pixels) > 0.5))
            pixels = 1 - pixels;
        float max = pixels.max().item<float>();
        if (max <= 0) return zeros(rows, columns).MoveToOuterDisposeScope(); // a blank image stays blank

        // The digit's bounding box.
        var ink = pixels.gt(InkThreshold * max);
        var inkRows = ink.any(1).nonzero().flatten();
        var inkColumns = ink.any(0).nonzero().flatten();
        long top = inkRows[0].item<long>(), bottom = inkRows[-1].item<long>();
        long left = inkColumns[0].item<long>(), right = inkColumns[-1].item<long>();
        var digit = pixels.narrow(0, top, bottom - top + 1).narrow(1, left, right - left + 1);

        // Scale the longer side to 20/28 of the frame, keeping the aspect ratio; area averaging keeps thin strokes.
        double box = Math.Min(rows, columns) * 20.0 / 28.0;
        double scale = box / Math.Max(digit.shape[0], digit.shape[1]);
        long height = Math.Max(1, (long)Math.Round(digit.shape[0] * scale)), width = Math.Max(1, (long)Math.Round(digit.shape[1] * scale));
        var mode = scale < 1 ? InterpolationMode.Area : InterpolationMode.Bilinear;
        var resized = nn.functional.interpolate(digit.unsqueeze(0).unsqueeze(0), [height, width], mode: mode).squeeze(0).squeeze(0).clamp(0, 1);

        // Place it so that its centre of mass lands on the frame's centre, clipped to the frame.
        double mass = resized.sum().item<float>();
        double rowCentre = (resized.sum(dim: 1) * arange(height, dtype: ScalarType.Float32)).sum().item<float>() / mass;
        double columnCentre = (resized.sum(dim: 0) * arange(width, dtype: ScalarType.Float32)).sum().item<float>() / mass;
        long rowOffset = Math.Clamp((long)Math.Round((rows - 1) / 2.0 - rowCentre), 0, rows - height);
        long columnOffset = Math.Clamp((long)Math.Round((columns - 1) / 2.0 - columnCentre), 0, columns - width);
        var frame = zeros(rows, columns);
        frame.narrow(0, rowOffset, height).narrow(1, columnOffset, width).copy_(resized);
        return frame.MoveToOuterDisposeScope();
    }

    private static double BorderMean(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var border = cat([pixels[0], pixels[-1], pixels.select(1, 0), pixels.select(1, -1)]);
        return border.mean().item<float>();
    }
}
