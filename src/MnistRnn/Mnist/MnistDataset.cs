using MnistRnn.Data;
using static TorchSharp.torch;

namespace MnistRnn.Mnist;

/// <summary>
/// The four MNIST-format IDX files of a folder as tensors: pixels as the files hold them, bytes with shape
/// (count, 28, 28), scaled to float32 in [0, 1] a batch at a time (see <see cref="DatasetSplit"/>), and labels as int64
/// with shape (count).
/// Works for any dataset in MNIST's file layout, Fashion-MNIST included.
/// </summary>
public sealed class MnistDataset : IDisposable
{
    /// <summary>File names (without the optional <c>.gz</c>) of the training and test splits.</summary>
    public static readonly (string Images, string Labels) TrainFiles = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte");

    /// <inheritdoc cref="TrainFiles"/>
    public static readonly (string Images, string Labels) TestFiles = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    private MnistDataset(DatasetSplit train, DatasetSplit test, bool isVerifiedMnist)
    {
        Train = train;
        Test = test;
        IsVerifiedMnist = isVerifiedMnist;
        using var scope = NewDisposeScope();
        Classes = (int)Math.Max(train.Labels.max().item<long>(), test.Labels.max().item<long>()) + 1;
    }

    /// <summary>The training split (60,000 images for MNIST).</summary>
    public DatasetSplit Train { get; }

    /// <summary>The test split (10,000 images for MNIST).</summary>
    public DatasetSplit Test { get; }

    /// <summary>True when all four files are byte for byte the published MNIST files.</summary>
    public bool IsVerifiedMnist { get; }

    /// <summary>Rows per image: the sequence length when images are read row by row.</summary>
    public int Rows => Train.Rows;

    /// <summary>Pixels per row: the features of each step when images are read row by row.</summary>
    public int Columns => Train.Columns;

    /// <summary>Number of classes: one more than the largest label (10 for MNIST).</summary>
    public int Classes { get; }

    /// <summary>
    /// Loads the four files from <paramref name="folder"/>, each either raw or gzip-compressed (<c>name.gz</c>).
    /// Every file is checked against a <c>SHA256SUMS</c> manifest in the folder when it lists the file.
    /// </summary>
    /// <param name="folder">The folder holding the four files.</param>
    /// <param name="device">Where the tensors go; the CPU when null.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the four files is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, fails its checksum, or images and labels disagree (judged from the headers, before any body is read).</exception>
    /// <exception cref="InsufficientMemoryException">What the headers declare would not fit in the memory this process may use (a container's limit included).</exception>
    public static MnistDataset Load(string folder, Device? device = null)
    {
        Training.DeviceSelection.EnsureAvailable(device);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder} does not exist.");
        var files = new[] { TrainFiles.Images, TrainFiles.Labels, TestFiles.Images, TestFiles.Labels }
            .Select(name => Locate(folder, name))
            .ToArray();
        // Hash every file before judging: a lazy All() would stop verifying at the first unknown file.
        string[] hashes = files.Select(DatasetChecksums.Verify).ToArray();
        bool verified = hashes.All(DatasetChecksums.IsKnownMnist);
        EnsureHeadersAgree(files);
        var train = LoadSplit(files[0], files[1], device ?? CPU);
        try
        {
            var test = LoadSplit(files[2], files[3], device ?? CPU);
            if (test.Rows != train.Rows || test.Columns != train.Columns)
            {
                var error = new InvalidDataException(
                    $"{files[2]}: images are {test.Rows}x{test.Columns} but the training images in {files[0]} " +
                    $"are {train.Rows}x{train.Columns}; both splits must have one size.");
                test.Dispose();
                throw error;
            }
            return new MnistDataset(train, test, verified);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    private static string Locate(string folder, string name)
    {
        string raw = Path.Combine(folder, name);
        string gz = raw + ".gz";
        bool hasRaw = File.Exists(raw), hasGz = File.Exists(gz);
        if (hasRaw && hasGz)
        {
            // Both forms: read the one the manifest vouches for, never an unchecked one beside a checked one.
            bool rawListed = DatasetChecksums.IsListed(raw), gzListed = DatasetChecksums.IsListed(gz);
            if (rawListed) return raw;
            if (gzListed) return gz;
            throw new InvalidDataException(
                $"{folder} holds both {name} and {name}.gz and no {DatasetChecksums.ManifestFileName} there says which to trust; remove one of them.");
        }
        if (hasRaw) return raw;
        if (hasGz) return gz;
        throw new FileNotFoundException($"{folder} has neither {name} nor {name}.gz.", gz);
    }

    // What the four headers declare is checked before any body is inflated: a small compressed file can declare gigabytes.
    private static void EnsureHeadersAgree(string[] files)
    {
        double bytes = 0;
        for (int split = 0; split < 2; split++)
        {
            string imagesPath = files[2 * split], labelsPath = files[2 * split + 1];
            var (count, rows, columns) = IdxFile.ReadImagesHeader(imagesPath);
            int labels = IdxFile.ReadLabelsHeader(labelsPath);
            if (labels != count)
                throw new InvalidDataException($"{labelsPath}: declares {labels} labels but {imagesPath} declares {count} images; they must match.");
            long pixels = (long)count * rows * columns;
            if (pixels > Array.MaxLength)
                throw new InvalidDataException($"{imagesPath}: header declares {count} images of {rows}x{columns} pixels, more than one array can hold.");
            // The pixels as bytes, read straight into their tensor, and the labels as read and as int64; batches are
            // scaled to float32 as they are read.
            bytes += pixels + count * (1.0 + sizeof(long));
        }
        Training.MemoryEstimate.EnsureFits(bytes, $"loading the images of {Path.GetDirectoryName(files[0])}", "use a dataset with fewer or smaller images");
    }

    private static DatasetSplit LoadSplit(string imagesPath, string labelsPath, Device device)
    {
        using var scope = NewDisposeScope();
        var pixels = IdxFile.ReadImagesTensor(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);
        if (pixels.shape[0] != labels.Length)
            throw new InvalidDataException(
                $"{labelsPath}: holds {labels.Length} labels but {imagesPath} holds {pixels.shape[0]} images; they must match.");
        var targets = tensor(labels, ScalarType.Byte).to(ScalarType.Int64).to(device);
        return new DatasetSplit(pixels.to(device).MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
