using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistRnn.OnnxInference;

/// <summary>
/// MNIST's test images and labels from their IDX files (raw or .gz): just enough of the format to classify them, with
/// every size checked against a bound before anything is allocated.
/// </summary>
internal sealed record IdxImages(float[] Pixels, byte[] Labels, int Count, int Rows, int Columns)
{
    private const int ImagesMagic = 0x00000803, LabelsMagic = 0x00000801;
    private const int MaxSide = 1024, MaxCount = 1_000_000;

    /// <summary>The images of <paramref name="imagesPath"/>, in [0, 1], with the labels of <paramref name="labelsPath"/>.</summary>
    /// <exception cref="InvalidDataException">Either is not such an IDX file, or they disagree; the message names the file.</exception>
    public static IdxImages Read(string imagesPath, string labelsPath)
    {
        var (pixels, count, rows, columns) = ReadImages(imagesPath);
        return new IdxImages(pixels, ReadLabels(labelsPath, count), count, rows, columns);
    }

    private static (float[] Pixels, int Count, int Rows, int Columns) ReadImages(string path)
    {
        using var stream = Open(path);
        int[] header = ReadHeader(stream, path, ImagesMagic, 3);
        (int count, int rows, int columns) = (header[0], header[1], header[2]);
        if (count is < 1 or > MaxCount || rows is < 1 or > MaxSide || columns is < 1 or > MaxSide)
            throw new InvalidDataException($"{path} declares {count} images of {rows}x{columns}, beyond what this program reads.");
        var bytes = ReadExactly(stream, path, (long)count * rows * columns);
        return (bytes.Select(b => b / 255f).ToArray(), count, rows, columns);
    }

    private static byte[] ReadLabels(string path, int expected)
    {
        using var stream = Open(path);
        int count = ReadHeader(stream, path, LabelsMagic, 1)[0];
        if (count != expected)
            throw new InvalidDataException($"{path} holds {count} labels for {expected} images.");
        return ReadExactly(stream, path, count);
    }

    private static Stream Open(string path)
    {
        var file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static int[] ReadHeader(Stream stream, string path, int magic, int dimensions)
    {
        var header = ReadExactly(stream, path, 4 * (1 + dimensions));
        if (BinaryPrimitives.ReadInt32BigEndian(header) != magic)
            throw new InvalidDataException($"{path} is not an IDX file of {(magic == ImagesMagic ? "images" : "labels")}.");
        return Enumerable.Range(1, dimensions).Select(i => BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 * i))).ToArray();
    }

    private static byte[] ReadExactly(Stream stream, string path, long count)
    {
        var buffer = new byte[count];
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} ends before the {count} bytes its header declares.");
        }
        return buffer;
    }
}
