namespace MnistRnn.Mnist;

/// <summary>
/// Turns any grayscale picture of a digit into what MNIST looks like: light ink on black, the digit's
/// bounding box scaled (keeping its aspect ratio) to fit a 20x20 box, placed in a 28x28 frame with its
/// centre of mass at the centre, values in [0, 1]. That is how MNIST itself was made, so a digit
/// photographed or drawn at any size reads as the training images did. Other frame sizes scale alike.
/// Plain arithmetic on arrays, with no TorchSharp, so that a program that deploys an ONNX model can compile this
/// same file and prepare pictures exactly as <c>mnist-rnn predict</c> does.
/// </summary>
public static class DigitImagePreparation
{
    /// <summary>Ink fainter than this fraction of the brightest pixel is treated as background when finding the digit's box.</summary>
    public const double InkThreshold = 0.2;

    /// <summary>The smallest frame side a digit can be drawn into: a 20/28 box inside it must hold at least a few pixels.</summary>
    public const int MinSide = 4;

    /// <summary>The image in MNIST's style: <paramref name="rows"/> x <paramref name="columns"/> values in [0, 1], row by row.</summary>
    public static float[] ToMnistStyle(GrayscaleImage image, InkPolarity polarity = InkPolarity.Auto, int rows = 28, int columns = 28)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, MinSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, MinSide);
        int h = image.Height, w = image.Width;
        var pixels = image.Pixels.Select(p => p / 255f).ToArray();
        if (polarity == InkPolarity.DarkOnLight || (polarity == InkPolarity.Auto && BorderMean(pixels, h, w) > 0.5))
            for (int i = 0; i < pixels.Length; i++) pixels[i] = 1 - pixels[i];
        float max = pixels.Max();
        var frame = new float[rows * columns];
        if (max <= 0) return frame; // a blank image stays blank

        // The digit's bounding box.
        float threshold = (float)(InkThreshold * max);
        int top = h, bottom = -1, left = w, right = -1;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            if (pixels[y * w + x] <= threshold) continue;
            (top, bottom, left, right) = (Math.Min(top, y), Math.Max(bottom, y), Math.Min(left, x), Math.Max(right, x));
        }
        int digitHeight = bottom - top + 1, digitWidth = right - left + 1;

        // Scale the longer side to 20/28 of the frame, keeping the aspect ratio; area averaging keeps thin strokes.
        double box = Math.Min(rows, columns) * 20.0 / 28.0;
        double scale = box / Math.Max(digitHeight, digitWidth);
        int height = Math.Max(1, (int)Math.Round(digitHeight * scale)), width = Math.Max(1, (int)Math.Round(digitWidth * scale));
        float Digit(int y, int x) => pixels[(top + y) * w + left + x];
        var resized = scale < 1 ? AreaAverage(Digit, digitHeight, digitWidth, height, width) : Bilinear(Digit, digitHeight, digitWidth, height, width);

        // Place it so that its centre of mass lands on the frame's centre, clipped to the frame.
        double mass = 0, rowMoment = 0, columnMoment = 0;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            float value = resized[y * width + x];
            mass += value;
            rowMoment += value * y;
            columnMoment += value * x;
        }
        int rowOffset = Math.Clamp((int)Math.Round((rows - 1) / 2.0 - rowMoment / mass), 0, rows - height);
        int columnOffset = Math.Clamp((int)Math.Round((columns - 1) / 2.0 - columnMoment / mass), 0, columns - width);
        for (int y = 0; y < height; y++)
            Array.Copy(resized, y * width, frame, (rowOffset + y) * columns + columnOffset, width);
        return frame;
    }

    // The mean of the outermost rows and columns (corners counted twice, as each belongs to a row and a column).
    private static double BorderMean(float[] pixels, int h, int w)
    {
        double sum = 0;
        for (int x = 0; x < w; x++) sum += pixels[x] + pixels[(h - 1) * w + x];
        for (int y = 0; y < h; y++) sum += pixels[y * w] + pixels[y * w + w - 1];
        return sum / (2.0 * (w + h));
    }

    // Shrinking: each output pixel is the mean of the input pixels its area covers (PyTorch's "area" interpolation,
    // adaptive average pooling), clamped to [0, 1].
    private static float[] AreaAverage(Func<int, int, float> input, int inHeight, int inWidth, int height, int width)
    {
        var output = new float[height * width];
        for (int y = 0; y < height; y++)
        {
            int y0 = y * inHeight / height, y1 = ((y + 1) * inHeight + height - 1) / height;
            for (int x = 0; x < width; x++)
            {
                int x0 = x * inWidth / width, x1 = ((x + 1) * inWidth + width - 1) / width;
                double sum = 0;
                for (int sy = y0; sy < y1; sy++)
                for (int sx = x0; sx < x1; sx++) sum += input(sy, sx);
                output[y * width + x] = Math.Clamp((float)(sum / ((y1 - y0) * (x1 - x0))), 0, 1);
            }
        }
        return output;
    }

    // Enlarging: bilinear interpolation between pixel centres (PyTorch's "bilinear" with align_corners=false), clamped to [0, 1].
    private static float[] Bilinear(Func<int, int, float> input, int inHeight, int inWidth, int height, int width)
    {
        static (int Low, int High, float Weight) Source(int index, int inSize, int outSize)
        {
            float position = Math.Max(0, (float)inSize / outSize * (index + 0.5f) - 0.5f);
            int low = (int)position;
            return (low, Math.Min(low + 1, inSize - 1), position - low);
        }
        var output = new float[height * width];
        for (int y = 0; y < height; y++)
        {
            var (y0, y1, wy) = Source(y, inHeight, height);
            for (int x = 0; x < width; x++)
            {
                var (x0, x1, wx) = Source(x, inWidth, width);
                float value = (1 - wy) * ((1 - wx) * input(y0, x0) + wx * input(y0, x1)) + wy * ((1 - wx) * input(y1, x0) + wx * input(y1, x1));
                output[y * width + x] = Math.Clamp(value, 0, 1);
            }
        }
        return output;
    }
}
