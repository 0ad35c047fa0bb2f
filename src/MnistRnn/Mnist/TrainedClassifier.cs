using System.Globalization;
using MnistRnn.Checkpoints;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Training;
using static TorchSharp.torch;

namespace MnistRnn.Mnist;

/// <summary>
/// An image classifier loaded from a checkpoint or a model file, ready to predict: it reads images in the sequence
/// order it was trained with, in evaluation mode, without gradients.
/// </summary>
public sealed class TrainedClassifier : IDisposable
{
    // Metadata keys under which a model file records how images became sequences.
    private const string OrderKey = "sequence_order", RowsKey = "image_rows", ColumnsKey = "image_columns";

    private readonly SequenceLayout _layout;

    private TrainedClassifier(RecurrentClassifier model, SequenceOrder order, int rows, int columns, Device device, CheckpointInfo? info)
    {
        Info = info;
        Model = model;
        Model.eval();
        Device = device;
        Order = order;
        ImageRows = rows;
        ImageColumns = columns;
        _layout = new SequenceLayout(order, rows, columns, device);
    }

    /// <summary>
    /// Loads a checkpoint, or a model file (<see cref="ModelFile.Extension"/>) written by <see cref="Save"/>, onto
    /// <paramref name="device"/> (default CPU).
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint is not usable.</exception>
    /// <exception cref="InvalidDataException">The model file is not usable, or records no image size and order.</exception>
    /// <exception cref="DeviceUnavailableException"><paramref name="device"/> is a CUDA device this build or machine does not have.</exception>
    public static TrainedClassifier Load(string path, Device? device = null)
    {
        DeviceSelection.EnsureAvailable(device);
        return path.EndsWith(ModelFile.Extension, StringComparison.OrdinalIgnoreCase) ? FromModelFile(path, device ?? CPU) : From(CheckpointFile.Read(path), device);
    }

    /// <summary>Wraps an already read checkpoint.</summary>
    public static TrainedClassifier From(Checkpoint checkpoint, Device? device = null)
    {
        var info = checkpoint.Info;
        return new(checkpoint.CreateModel(device ?? CPU), info.Options.Order, info.ItemRows, info.ItemColumns, device ?? CPU, info);
    }

    /// <summary>
    /// Wraps a model of images of <paramref name="imageRows"/> by <paramref name="imageColumns"/> read in <paramref name="order"/>,
    /// such as one from <see cref="ModelFile.LoadStateDict"/>; the classifier then owns the model.
    /// </summary>
    /// <exception cref="ArgumentException">The model's input size does not fit images of that width in that order.</exception>
    public static TrainedClassifier From(RecurrentClassifier model, SequenceOrder order, int imageRows, int imageColumns)
    {
        int features = SequenceLayout.Shape(order, imageRows, imageColumns).Features;
        if (model.InputSize != features)
            throw new ArgumentException($"a model of {model.InputSize} input features cannot read {imageRows}x{imageColumns} images in {order.ToName()} order.");
        return new(model, order, imageRows, imageColumns, model.WeightsDevice, null);
    }

    private static TrainedClassifier FromModelFile(string path, Device device)
    {
        var metadata = ModelFile.ReadMetadata(path);
        if (!metadata.TryGetValue(OrderKey, out string? orderName) || !SequenceOrderNames.TryParse(orderName, out var order)
            || !metadata.TryGetValue(RowsKey, out string? rowsText) || !int.TryParse(rowsText, NumberStyles.None, CultureInfo.InvariantCulture, out int rows)
            || !metadata.TryGetValue(ColumnsKey, out string? columnsText) || !int.TryParse(columnsText, NumberStyles.None, CultureInfo.InvariantCulture, out int columns)
            || rows is < 1 or > IdxFile.MaxSide || columns is < 1 or > IdxFile.MaxSide)
            throw new InvalidDataException($"{path} records no image size and sequence order, so it is not an image classifier; load it with ModelFile.Load.");
        var model = ModelFile.Load(path, device);
        int features = SequenceLayout.Shape(order, rows, columns).Features;
        if (model.InputSize != features)
        {
            model.Dispose();
            throw new InvalidDataException($"{path}: a model of {model.InputSize} input features cannot read {rows}x{columns} images in {order.ToName()} order.");
        }
        return new(model, order, rows, columns, device, null);
    }

    /// <summary>Writes the model to a model file (<see cref="ModelFile"/>) with the image size and order, which <see cref="Load"/> reads back.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path) =>
        ModelFile.Save(Model, path, ImageMetadata());

    /// <summary>
    /// Writes the model as an ONNX model (see <see cref="ModelFile.ExportOnnx"/>) whose input is images (batch, rows, columns)
    /// in [0, 1], read in <see cref="Order"/> inside the graph, with the image size and order in its metadata.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="overwrite">Whether a file already there is replaced; when not, writing fails with an <see cref="IOException"/> and leaves it be.</param>
    /// <exception cref="IOException">The file cannot be written; nothing was left behind.</exception>
    public void ExportOnnx(string path, bool overwrite = true) =>
        ModelFile.WriteOnnx(Onnx.OnnxExport.Build(Model, variableLength: false, ModelFile.Metadata(Model, ImageMetadata()), _layout), path, overwrite);

    private Dictionary<string, string> ImageMetadata() => new()
    {
        [OrderKey] = Order.ToName(),
        [RowsKey] = ImageRows.ToString(CultureInfo.InvariantCulture),
        [ColumnsKey] = ImageColumns.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>What the checkpoint says about the model; null when it was loaded from a model file.</summary>
    public CheckpointInfo? Info { get; }

    /// <summary>The classifier itself.</summary>
    public RecurrentClassifier Model { get; }

    /// <summary>The device it runs on.</summary>
    public Device Device { get; }

    /// <summary>How images become sequences for this model.</summary>
    public SequenceOrder Order { get; }

    /// <summary>Height of the images it was trained on.</summary>
    public int ImageRows { get; }

    /// <summary>Width of the images it was trained on.</summary>
    public int ImageColumns { get; }

    /// <summary>Class probabilities for a batch of images.</summary>
    /// <param name="images">Shape (batch, rows, columns) or (rows, columns), values in [0, 1] with light ink on dark, as MNIST.</param>
    /// <returns>Shape (batch, classes); belongs to the caller's dispose scope.</returns>
    public Tensor Probabilities(Tensor images)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var batch = images.dim() == 2 ? images.unsqueeze(0) : images;
        var logits = Model.call(_layout.Arrange(batch.to(ScalarType.Float32).to(Device)));
        return nn.functional.softmax(logits, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Loss and accuracy over every image of <paramref name="images"/>, read in <see cref="Order"/>, and the counts of every (true class, predicted class) pair.</summary>
    /// <exception cref="ArgumentException">The images are not of the size this model was trained on.</exception>
    public (EvaluationResult Result, ConfusionMatrix Confusion) Evaluate(DatasetSplit images)
    {
        if (images.Rows != ImageRows || images.Columns != ImageColumns)
            throw new ArgumentException($"this model was trained on {ImageRows}x{ImageColumns} images, not {images.Rows}x{images.Columns}.");
        using var sequences = images.ToSequences(Order, Model.Classes);
        return ModelEvaluation.EvaluateWithConfusion(Model, sequences);
    }

    /// <summary>The prediction for one image tensor of shape (rows, columns), in MNIST's style.</summary>
    public Prediction Predict(Tensor image)
    {
        using var scope = NewDisposeScope();
        double[] probabilities = Probabilities(image).cpu().to(ScalarType.Float64).data<double>().ToArray();
        int best = Array.IndexOf(probabilities, probabilities.Max());
        return new Prediction(best, probabilities);
    }

    /// <summary>
    /// True when pictures can be prepared for this model: it was trained on images of at least
    /// <see cref="DigitImagePreparation.MinSide"/> pixels a side.
    /// </summary>
    public bool AcceptsPictures => ImageRows >= DigitImagePreparation.MinSide && ImageColumns >= DigitImagePreparation.MinSide;

    /// <summary>The prediction for a picture of any size, prepared as MNIST was (see <see cref="DigitImagePreparation"/>).</summary>
    /// <exception cref="InvalidOperationException">The model does not accept pictures (see <see cref="AcceptsPictures"/>).</exception>
    public Prediction Predict(GrayscaleImage image, InkPolarity polarity = InkPolarity.Auto)
    {
        if (!AcceptsPictures)
            throw new InvalidOperationException(
                $"This model was trained on {ImageRows}x{ImageColumns} images; a picture can be prepared only for images of at least " +
                $"{DigitImagePreparation.MinSide}x{DigitImagePreparation.MinSide}. Pass image tensors of its size instead.");
        using var scope = NewDisposeScope();
        return Predict(tensor(DigitImagePreparation.ToMnistStyle(image, polarity, ImageRows, ImageColumns), [ImageRows, ImageColumns]));
    }

    /// <summary>Releases the model.</summary>
    public void Dispose()
    {
        Model.Dispose();
        _layout.Dispose();
    }
}
