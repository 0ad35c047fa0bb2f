using MnistRnn.Inference;
using SkiaSharp;

namespace MnistRnn.Runner;

/// <summary>Decodes picture files (PNG, JPEG, GIF, BMP, WebP) into gray levels through SkiaSharp.</summary>
internal static class ImageFile
{
    /// <summary>Largest width or height accepted, so a hostile header cannot make the decoder allocate gigabytes.</summary>
    public const int MaxSide = 8192;

    /// <summary>
    /// The image as gray levels, with transparent areas counted as white paper (drawing programs often
    /// save a dark digit on a transparent background).
    /// </summary>
    /// <exception cref="UserErrorException">It is missing, not an image, or too large (exit 7).</exception>
    public static GrayscaleImage Read(string path)
    {
        if (!File.Exists(path)) throw Bad($"{path}: no such file.");
        using var codec = SKCodec.Create(path, out var result);
        if (codec is null) throw Bad($"{path}: not an image this program can read (PNG, JPEG, GIF, BMP or WebP); the decoder said {result}.");
        var size = codec.Info;
        if (size.Width < 1 || size.Height < 1 || size.Width > MaxSide || size.Height > MaxSide)
            throw Bad($"{path}: {size.Width}x{size.Height} pixels is outside 1 to {MaxSide} on a side; crop or shrink it.");
        var rgba = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bytes = new byte[rgba.BytesSize];
        var decoded = codec.GetPixels(rgba, bytes);
        if (decoded is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw Bad($"{path}: the image data is damaged; the decoder said {decoded}.");
        var gray = new byte[size.Width * size.Height];
        for (int i = 0; i < gray.Length; i++)
        {
            double luminance = 0.299 * bytes[4 * i] + 0.587 * bytes[4 * i + 1] + 0.114 * bytes[4 * i + 2];
            double alpha = bytes[4 * i + 3] / 255.0;
            gray[i] = (byte)Math.Round(luminance * alpha + 255 * (1 - alpha));
        }
        return new GrayscaleImage(size.Width, size.Height, gray);
    }

    private static UserErrorException Bad(string message) => new(ExitCodes.BadImage, message);
}
