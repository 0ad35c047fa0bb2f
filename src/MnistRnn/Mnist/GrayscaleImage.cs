namespace MnistRnn.Mnist;

/// <summary>A decoded image as 8-bit gray levels, row by row (0 black, 255 white).</summary>
public sealed record GrayscaleImage
{
    /// <summary>Wraps <paramref name="pixels"/>, which must hold <paramref name="width"/> times <paramref name="height"/> values.</summary>
    public GrayscaleImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != (long)width * height)
            throw new ArgumentException($"expected {width}x{height} = {(long)width * height} pixels, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gray levels, row by row.</summary>
    public byte[] Pixels { get; }
}

/// <summary>Which way round an image draws its digit. MNIST digits are light ink on a dark background.</summary>
public enum InkPolarity
{
    /// <summary>Decide from the image's border: a bright border means dark ink on a light background.</summary>
    Auto,

    /// <summary>Light ink on a dark background, as MNIST.</summary>
    LightOnDark,

    /// <summary>Dark ink on a light background, as a pen on paper.</summary>
    DarkOnLight,
}
