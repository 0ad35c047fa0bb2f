using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistRnn.Tests.Support;

/// <summary>Writes small IDX files, well-formed or deliberately broken, for the data tests.</summary>
internal static class IdxWriter
{
    public static byte[] Images(int count, int rows, int columns, Func<int, byte>? pixel = null, int magic = 2051)
    {
        var bytes = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = pixel?.Invoke(i - 16) ?? (byte)((i * 7) % 256);
        return bytes;
    }

    public static byte[] Labels(int count, Func<int, byte>? label = null, int magic = 2049)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++) bytes[8 + i] = label?.Invoke(i) ?? (byte)(i % 10);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>Writes a complete MNIST-layout folder of tiny splits and returns its path.</summary>
    public static string Folder(string root, int trainCount = 20, int testCount = 10, bool gzip = false, int side = 28)
    {
        Directory.CreateDirectory(root);
        void Write(string name, byte[] data) =>
            File.WriteAllBytes(Path.Combine(root, gzip ? name + ".gz" : name), gzip ? Gzip(data) : data);
        Write("train-images-idx3-ubyte", Images(trainCount, side, side));
        Write("train-labels-idx1-ubyte", Labels(trainCount));
        Write("t10k-images-idx3-ubyte", Images(testCount, side, side));
        Write("t10k-labels-idx1-ubyte", Labels(testCount));
        return root;
    }
}
