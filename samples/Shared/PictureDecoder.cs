using MnistRnn.Mnist;
using SkiaSharp;

namespace MnistRnn.Pictures;

/// <summary>
/// Decodes picture files (PNG, JPEG, GIF, BMP, WebP) into gray levels through SkiaSharp, the same way for every program
/// that classifies pictures (the runner's <c>predict</c> and the ONNX sample compile this one file).
/// </summary>
internal static class PictureDecoder
{
    /// <summary>Largest width or height accepted, so a hostile header cannot make the decoder allocate gigabytes.</summary>
    public const int MaxSide = 8192;

    /// <summary>Largest file accepted; a phone photo is a few megabytes.</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>
    /// The picture in <paramref name="file"/> as gray levels, upright as a viewer shows it (EXIF orientation applied), with
    /// transparent areas counted as white paper (drawing programs often save a dark digit on a transparent background).
    /// </summary>
    /// <exception cref="InvalidDataException">It is not an image, damaged, truncated or too large; the message names <paramref name="path"/>.</exception>
    public static GrayscaleImage Decode(byte[] file, string path)
    {
        using var codec = SKCodec.Create(new MemoryStream(file, writable: false), out var result);
        if (codec is null && result == SKCodecResult.IncompleteInput) throw Truncated(path);
        if (codec is null) throw new InvalidDataException($"{path}: not an image this program can read (PNG, JPEG, GIF, BMP or WebP); the decoder said {result}.");
        var size = codec.Info;
        if (size.Width < 1 || size.Height < 1 || size.Width > MaxSide || size.Height > MaxSide)
            throw new InvalidDataException($"{path}: {size.Width}x{size.Height} pixels is outside 1 to {MaxSide} on a side; crop or shrink it.");
        var rgba = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bytes = new byte[rgba.BytesSize];
        var decoded = codec.GetPixels(rgba, bytes);
        // A truncated file decodes as IncompleteInput with the missing part blank: a prediction on it would be a guess.
        if (decoded == SKCodecResult.IncompleteInput) throw Truncated(path);
        if (decoded != SKCodecResult.Success)
            throw new InvalidDataException($"{path}: the image data is damaged; the decoder said {decoded}.");
        var gray = new byte[size.Width * size.Height];
        for (int i = 0; i < gray.Length; i++)
        {
            double luminance = 0.299 * bytes[4 * i] + 0.587 * bytes[4 * i + 1] + 0.114 * bytes[4 * i + 2];
            double alpha = bytes[4 * i + 3] / 255.0;
            gray[i] = (byte)Math.Round(luminance * alpha + 255 * (1 - alpha));
        }
        return Upright(new GrayscaleImage(size.Width, size.Height, gray), codec.EncodedOrigin);
    }

    /// <summary>
    /// The image turned as its EXIF orientation says a viewer shows it: phones store the sensor's pixels and
    /// record the rotation, so a digit photographed upright can be stored on its side.
    /// </summary>
    internal static GrayscaleImage Upright(GrayscaleImage stored, SKEncodedOrigin origin)
    {
        int w = stored.Width, h = stored.Height;
        bool swapsSides = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        if (origin is SKEncodedOrigin.TopLeft || !Enum.IsDefined(origin)) return stored;
        int width = swapsSides ? h : w, height = swapsSides ? w : h;
        var pixels = new byte[stored.Pixels.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                // The stored pixel shown at (x, y).
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x), // LeftBottom
                };
                pixels[y * width + x] = stored.Pixels[sy * w + sx];
            }
        }
        return new GrayscaleImage(width, height, pixels);
    }

    private static InvalidDataException Truncated(string path) => new($"{path}: the file is truncated; the image cannot be decoded whole.");
}
