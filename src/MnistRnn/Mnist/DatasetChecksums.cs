using System.Security.Cryptography;
using System.Text;
using MnistRnn.IO;

namespace MnistRnn.Mnist;

/// <summary>
/// SHA-256 verification of dataset files: against a <c>SHA256SUMS</c> manifest beside them when
/// there is one, and against the published MNIST files, which the library knows by heart.
/// </summary>
internal static class DatasetChecksums
{
    /// <summary>The manifest file name, in the format <c>sha256sum</c> writes and checks.</summary>
    public const string ManifestFileName = "SHA256SUMS";

    /// <summary>The largest manifest accepted; one line per file is a few hundred bytes.</summary>
    public const long MaxManifestBytes = 1 << 20;

    // SHA-256 of the original MNIST distribution (Y. LeCun et al.), both gzip and raw forms.
    private static readonly HashSet<string> KnownMnist = new(StringComparer.OrdinalIgnoreCase)
    {
        "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971", // train-images-idx3-ubyte.gz
        "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203", // train-labels-idx1-ubyte.gz
        "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be", // t10k-images-idx3-ubyte.gz
        "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b", // t10k-labels-idx1-ubyte.gz
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", // train-images-idx3-ubyte
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", // train-labels-idx1-ubyte
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", // t10k-images-idx3-ubyte
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", // t10k-labels-idx1-ubyte
    };

    /// <summary>Lowercase hex SHA-256 of a file.</summary>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="InvalidDataException">It is empty, not a regular file, or larger than <see cref="IdxFile.MaxFileBytes"/>.</exception>
    public static string Sha256(string path)
    {
        using var stream = RegularFile.OpenRead(path, IdxFile.MaxFileBytes, "data");
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>True when <paramref name="sha256"/> is the hash of one of the published MNIST files.</summary>
    public static bool IsKnownMnist(string sha256) => KnownMnist.Contains(sha256);

    /// <summary>
    /// Checks <paramref name="path"/> against the manifest in its folder, if the folder has one that lists it.
    /// </summary>
    /// <returns>The file's SHA-256.</returns>
    /// <exception cref="InvalidDataException">The manifest lists the file with another hash.</exception>
    public static string Verify(string path)
    {
        string actual = Sha256(path);
        string? expected = ExpectedFromManifest(path);
        if (expected is not null && !string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"{path}: SHA-256 is {actual} but {ManifestFileName} beside it expects {expected}; the file is corrupt or was replaced.");
        return actual;
    }

    /// <summary>True when a manifest beside <paramref name="path"/> lists it.</summary>
    /// <exception cref="InvalidDataException">The manifest is not a regular file of at most <see cref="MaxManifestBytes"/>.</exception>
    public static bool IsListed(string path) => ExpectedFromManifest(path) is not null;

    private static string? ExpectedFromManifest(string path)
    {
        string manifest = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, ManifestFileName);
        if (!File.Exists(manifest)) return null;
        string name = Path.GetFileName(path);
        string text = Encoding.UTF8.GetString(RegularFile.ReadAllBytes(manifest, MaxManifestBytes, "checksum manifest"));
        foreach (string line in text.Split('\n'))
        {
            // "<hash>  <name>" or "<hash> *<name>" (binary mode).
            var parts = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1].TrimStart('*').Trim() == name)
                return parts[0];
        }
        return null;
    }
}
