using System.Buffers.Binary;
using System.IO.Compression;
using MnistRnn.IO;

namespace MnistRnn.Mnist;

/// <summary>
/// Reads IDX files (the format MNIST and Fashion-MNIST ship in), raw or gzip-compressed.
/// Every header field is checked before anything large is allocated, and every failure is an
/// <see cref="InvalidDataException"/> whose message names the file and the problem.
/// </summary>
public static class IdxFile
{
    /// <summary>Magic number of an IDX file of unsigned bytes with one dimension (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Magic number of an IDX file of unsigned bytes with three dimensions (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The largest item count accepted; anything larger is a corrupt or foreign header, not a dataset.</summary>
    public const int MaxItems = 10_000_000;

    /// <summary>The largest image side accepted, in pixels.</summary>
    public const int MaxSide = 4096;

    /// <summary>The largest file accepted (compressed or not): one array's worth.</summary>
    public const long MaxFileBytes = int.MaxValue;

    // A compressed body's buffer starts at this size and doubles only while data keeps arriving, so memory
    // follows what the stream really holds, not what its header claims.
    private const int ChunkBytes = 1 << 24;

    /// <summary>The item count a labels file's header declares, read without its body.</summary>
    /// <exception cref="InvalidDataException">The header is not a well-formed IDX labels header.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static int ReadLabelsHeader(string path)
    {
        using var stream = Open(path);
        return ReadDimension(ReadHeader(stream, path, LabelsMagic, "labels", dimensions: 1), 4, path, "item count", MaxItems);
    }

    /// <summary>The image count and size an images file's header declares, read without its body.</summary>
    /// <exception cref="InvalidDataException">The header is not a well-formed IDX images header.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static (int Count, int Rows, int Columns) ReadImagesHeader(string path)
    {
        using var stream = Open(path);
        return ReadImagesDimensions(stream, path);
    }

    private static (int Count, int Rows, int Columns) ReadImagesDimensions(Stream stream, string path)
    {
        var header = ReadHeader(stream, path, ImagesMagic, "images", dimensions: 3);
        return (ReadDimension(header, 4, path, "image count", MaxItems), ReadDimension(header, 8, path, "row count", MaxSide),
            ReadDimension(header, 12, path, "column count", MaxSide));
    }

    // The pixels the dimensions declare, which one array (or one tensor read as one) must hold.
    private static int PixelCount(string path, int count, int rows, int columns)
    {
        long size = (long)count * rows * columns;
        if (size > Array.MaxLength)
            throw new InvalidDataException($"{path}: header declares {count} images of {rows}x{columns} pixels, more than one array can hold.");
        return (int)size;
    }

    /// <summary>Reads a labels file (magic 2049): one byte per item.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX labels file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path, LabelsMagic, "labels", dimensions: 1);
        int count = ReadDimension(header, 4, path, "item count", MaxItems);
        return ReadBody(stream, path, count);
    }

    /// <summary>Reads an images file (magic 2051): <c>count</c> images of <c>rows x columns</c> bytes, row-major.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX images file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var stream = Open(path);
        var (count, rows, columns) = ReadImagesDimensions(stream, path);
        return new IdxImages(count, rows, columns, ReadBody(stream, path, PixelCount(path, count, rows, columns)));
    }

    /// <summary>
    /// Reads an images file as <see cref="ReadImages"/> does, straight into a (count, rows, columns) byte tensor on the
    /// CPU a chunk at a time, so the pixels are held once. The tensor's pages become resident only as data arrives, so a
    /// header that claims more than the body holds costs only what the body holds.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX images file.</exception>
    internal static TorchSharp.torch.Tensor ReadImagesTensor(string path)
    {
        using var stream = Open(path);
        var (count, rows, columns) = ReadImagesDimensions(stream, path);
        int size = PixelCount(path, count, rows, columns);
        if (stream is FileStream file && file.Length - file.Position < size)
            throw Truncated(path, size, file.Length - file.Position);
        var pixels = TorchSharp.torch.empty([count, rows, columns], TorchSharp.torch.ScalarType.Byte);
        try
        {
            using var flat = pixels.view(size);
            var chunk = new byte[Math.Min(size, ChunkBytes)];
            long read = 0;
            while (read < size)
            {
                int wanted = (int)Math.Min(chunk.Length, size - read);
                int got = ReadFully(stream, chunk.AsMemory(0, wanted), path);
                using var scope = TorchSharp.torch.NewDisposeScope();
                flat.narrow(0, read, got).copy_(TorchSharp.torch.tensor(chunk, TorchSharp.torch.ScalarType.Byte).narrow(0, 0, got));
                read += got;
                if (got < wanted) throw Truncated(path, size, read);
            }
            if (stream.ReadByte() >= 0)
                throw new InvalidDataException($"{path}: file holds more data than its header declares ({size} bytes).");
            return pixels;
        }
        catch
        {
            pixels.Dispose();
            throw;
        }
    }

    private static Stream Open(string path)
    {
        Stream file = RegularFile.OpenRead(path, MaxFileBytes, "IDX");
        int first = file.ReadByte();
        int second = file.ReadByte();
        file.Position = 0;
        // Sniff the gzip signature rather than trusting the file name.
        return first == 0x1f && second == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>Reads the magic number, checks it, then reads the dimensions it implies.</summary>
    private static byte[] ReadHeader(Stream stream, string path, int expectedMagic, string kind, int dimensions)
    {
        int length = 4 + 4 * dimensions;
        var header = new byte[length];
        int read = ReadFully(stream, header.AsMemory(0, 4), path);
        if (read == 4)
        {
            // The magic number is checked first so a wrong kind of file is named as such, whatever its length.
            int magic = BinaryPrimitives.ReadInt32BigEndian(header);
            if (magic != expectedMagic)
                throw new InvalidDataException(
                    $"{path}: magic number is {magic} (0x{magic:x8}), expected {expectedMagic} for an IDX {kind} file.");
            read += ReadFully(stream, header.AsMemory(4), path);
        }
        if (read < length)
            throw new InvalidDataException($"{path}: file is {read} bytes long, shorter than the {length}-byte IDX {kind} header.");
        return header;
    }

    private static int ReadDimension(byte[] header, int offset, string path, string name, int max)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(offset));
        if (value <= 0 || value > max)
            throw new InvalidDataException($"{path}: header {name} is {value}, outside the accepted range 1 to {max}.");
        return value;
    }

    private static byte[] ReadBody(Stream stream, string path, int length)
    {
        // A raw file's size is known: a header that promises more than the file holds is refused before
        // anything is allocated. A compressed body grows only as its data inflates.
        if (stream is FileStream file && file.Length - file.Position < length)
            throw Truncated(path, length, file.Length - file.Position);
        var body = new byte[Math.Min(length, stream is FileStream ? length : ChunkBytes)];
        int read = 0;
        while (true)
        {
            read += ReadFully(stream, body.AsMemory(read), path);
            if (read < body.Length || body.Length == length) break;
            Array.Resize(ref body, (int)Math.Min(length, 2L * body.Length));
        }
        if (read < length) throw Truncated(path, length, read);
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"{path}: file holds more data than its header declares ({length} bytes).");
        return body;
    }

    private static InvalidDataException Truncated(string path, int length, long held) =>
        new($"{path}: header promises {length} bytes of data but the file holds {held}; it is truncated.");

    private static int ReadFully(Stream stream, Memory<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer.Span, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid gzip stream ({e.Message}).", e);
        }
    }
}

/// <summary>Images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Columns"/> bytes, row-major.</summary>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);
