using Google.Protobuf;
using MnistRnn.Data;
using MnistRnn.Models;
using MnistRnn.Onnx.Proto;
using static TorchSharp.torch;

namespace MnistRnn.Onnx;

/// <summary>
/// Builds the ONNX graph of a <see cref="RecurrentClassifier"/>: one ONNX <c>RNN</c>, <c>LSTM</c> or <c>GRU</c> node per
/// layer (both directions in one node), not an unrolled loop, then the linear classifier and a softmax.
/// </summary>
internal static class OnnxExport
{
    /// <summary>
    /// Opset 9 with IR version 4, the first pair in which weights may be initializers without also being graph inputs
    /// (which would let a caller override them and list them among the inputs). The recurrent operators are the ones
    /// opset 7 introduced and opset 14 first changed (RNN-7, LSTM-7, GRU-7); newer runtimes read the file unchanged.
    /// </summary>
    public const long Opset = 9;

    private const long IrVersion = 4;

    public const string InputName = "input", LengthsName = "lengths", LogitsName = "logits", ProbabilitiesName = "probabilities";

    /// <summary>The graph of <paramref name="model"/>; with <paramref name="images"/>, its input is images (batch, rows, columns) that the graph reads in the layout's order.</summary>
    public static ModelProto Build(RecurrentClassifier model, bool variableLength, IReadOnlyDictionary<string, string> metadata, SequenceLayout? images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var options = model.Options;
        var graph = new GraphProto { Name = $"{options.Cell.ToName()}_classifier" };
        var weights = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        string sequences = InputName;
        if (images is null)
            graph.Input.Add(Value(InputName, TensorProto.Types.DataType.Float, ["batch", "steps", options.InputSize],
                "Sequences, batch first: (batch, steps, features), float32."));
        else
        {
            graph.Input.Add(Value(InputName, TensorProto.Types.DataType.Float, ["batch", images.Rows, images.Columns],
                $"Images (batch, {images.Rows}, {images.Columns}), float32 in [0, 1], light ink on dark; read in {images.Order.ToName()} order."));
            sequences = ImagesAsSequences(graph, images);
        }
        string? lengths = null;
        if (variableLength)
        {
            graph.Input.Add(Value(LengthsName, TensorProto.Types.DataType.Int64, ["batch"],
                "Each sequence's length in steps, 1 to steps, int64; steps past it are never read."));
            lengths = "lengths_int32";
            graph.Node.Add(Node("Cast", [LengthsName], [lengths], Int("to", (long)TensorProto.Types.DataType.Int32)));
        }
        // ONNX Runtime's CPU kernels refuse layout=1 (batch first), so the graph turns the input time-major itself.
        string sequence = "input_time_major";
        graph.Node.Add(Node("Transpose", [sequences], [sequence], Ints("perm", 1, 0, 2)));
        int directions = options.Bidirectional ? 2 : 1;
        string finalStates = "";
        for (int layer = 0; layer < options.Layers; layer++)
        {
            string prefix = $"layer{layer}";
            var (w, r, b) = LayerWeights(weights, options, layer);
            graph.Initializer.Add(FloatTensor($"{prefix}_W", w));
            graph.Initializer.Add(FloatTensor($"{prefix}_R", r));
            graph.Initializer.Add(FloatTensor($"{prefix}_B", b));
            string outputs = $"{prefix}_Y", states = $"{prefix}_Y_h";
            var node = Node(OperatorOf(options.Cell), [sequence, $"{prefix}_W", $"{prefix}_R", $"{prefix}_B", lengths ?? ""], [outputs, states],
                Int("hidden_size", options.HiddenSize), String("direction", options.Bidirectional ? "bidirectional" : "forward"));
            if (options.Cell == CellKind.Irnn) node.Attribute.Add(Strings("activations", [.. Enumerable.Repeat("Relu", directions)]));
            // PyTorch's GRU applies the reset gate after the recurrent product, which is ONNX's linear_before_reset=1.
            if (options.Cell == CellKind.Gru) node.Attribute.Add(Int("linear_before_reset", 1));
            graph.Node.Add(node);
            finalStates = states;
            if (layer == options.Layers - 1) break;
            // Y is (steps, directions, batch, hidden); the next layer reads (steps, batch, directions x hidden), forward first, as PyTorch concatenates.
            if (layer == 0) graph.Initializer.Add(Int64Tensor("layer_output_shape", [0, 0, -1]));
            graph.Node.Add(Node("Transpose", [outputs], [$"{prefix}_Y_steps_batch"], Ints("perm", 0, 2, 1, 3)));
            sequence = $"{prefix}_output";
            graph.Node.Add(Node("Reshape", [$"{prefix}_Y_steps_batch", "layer_output_shape"], [sequence]));
        }
        // The top layer's final states (directions, batch, hidden): with lengths, the forward direction's at each sequence's
        // own last step and the backward direction's at its first, as the TorchSharp model reads them.
        graph.Initializer.Add(Int64Tensor("final_state_shape", [0, -1]));
        graph.Node.Add(Node("Transpose", [finalStates], ["final_batch_first"], Ints("perm", 1, 0, 2)));
        graph.Node.Add(Node("Reshape", ["final_batch_first", "final_state_shape"], ["final_state"]));
        graph.Initializer.Add(FloatTensor("classifier_weight", weights["classifier.weight"]));
        graph.Initializer.Add(FloatTensor("classifier_bias", weights["classifier.bias"]));
        graph.Node.Add(Node("Gemm", ["final_state", "classifier_weight", "classifier_bias"], [LogitsName], Int("transB", 1)));
        graph.Node.Add(Node("Softmax", [LogitsName], [ProbabilitiesName], Int("axis", 1)));
        graph.Output.Add(Value(LogitsName, TensorProto.Types.DataType.Float, ["batch", options.Classes], "Unnormalised class scores (batch, classes), float32."));
        graph.Output.Add(Value(ProbabilitiesName, TensorProto.Types.DataType.Float, ["batch", options.Classes], "Softmax of the logits (batch, classes), float32."));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MnistRnn",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "",
            Graph = graph,
            DocString = $"{options}: a recurrent classifier exported from MnistRnn.",
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    // The sequence order as graph nodes, so a deployed model takes images as the checkpoint's run read them.
    private static string ImagesAsSequences(GraphProto graph, SequenceLayout images)
    {
        if (images.Order == SequenceOrder.Rows) return InputName;
        long pixels = images.Steps;
        string flat = InputName;
        if (images.Permutation is { } permutation)
        {
            graph.Initializer.Add(Int64Tensor("pixels_shape", [0, pixels]));
            graph.Initializer.Add(Int64Tensor("pixel_permutation", permutation.cpu().data<long>().ToArray()));
            graph.Node.Add(Node("Reshape", [InputName, "pixels_shape"], ["pixels_in_reading_order"]));
            graph.Node.Add(Node("Gather", ["pixels_in_reading_order", "pixel_permutation"], ["pixels_permuted"], Int("axis", 1)));
            flat = "pixels_permuted";
        }
        graph.Initializer.Add(Int64Tensor("pixel_sequence_shape", [0, pixels, 1]));
        graph.Node.Add(Node("Reshape", [flat, "pixel_sequence_shape"], ["pixel_sequences"]));
        return "pixel_sequences";
    }

    private static string OperatorOf(CellKind cell) => cell switch
    {
        CellKind.Lstm => "LSTM",
        CellKind.Gru => "GRU",
        _ => "RNN",
    };

    // PyTorch's gate blocks, in the order ONNX wants them: LSTM i,f,g,o becomes i,o,f,c; GRU r,z,n becomes z,r,h.
    private static int[] GateOrder(CellKind cell) => cell switch
    {
        CellKind.Lstm => [0, 3, 1, 2],
        CellKind.Gru => [1, 0, 2],
        _ => [0],
    };

    // W (directions, gates x hidden, input), R (directions, gates x hidden, hidden) and B (directions, 2 x gates x hidden: input biases, then recurrent).
    private static (Tensor W, Tensor R, Tensor B) LayerWeights(IReadOnlyDictionary<string, Tensor> weights, RecurrentClassifierOptions options, int layer)
    {
        var order = GateOrder(options.Cell);
        Tensor Reordered(string name)
        {
            var gates = weights[$"recurrent.{name}"].chunk(order.Length, 0);
            return cat(order.Select(g => gates[g]).ToArray(), 0);
        }
        string[] suffixes = options.Bidirectional ? [$"l{layer}", $"l{layer}_reverse"] : [$"l{layer}"];
        var w = stack(suffixes.Select(s => Reordered($"weight_ih_{s}")).ToArray());
        var r = stack(suffixes.Select(s => Reordered($"weight_hh_{s}")).ToArray());
        var b = stack(suffixes.Select(s => cat([Reordered($"bias_ih_{s}"), Reordered($"bias_hh_{s}")], 0)).ToArray());
        return (w, r, b);
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{outputs[0]}" };
        // Trailing optional inputs left empty are dropped, as ONNX allows.
        int count = inputs.Length;
        while (count > 0 && inputs[count - 1] == "") count--;
        node.Input.AddRange(inputs.Take(count));
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, I = value, Type = AttributeProto.Types.AttributeType.Int };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static AttributeProto String(string name, string value) =>
        new() { Name = name, S = ByteString.CopyFromUtf8(value), Type = AttributeProto.Types.AttributeType.String };

    private static AttributeProto Strings(string name, string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    private static TensorProto FloatTensor(string name, Tensor values)
    {
        using var host = values.detach().cpu().to(ScalarType.Float32).contiguous();
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(host.bytes) };
        tensor.Dims.AddRange(host.shape);
        return tensor;
    }

    private static TensorProto Int64Tensor(string name, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    // A tensor input or output whose dimensions are numbers or named, free sizes.
    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, object[] dims, string doc)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim is string free ? new TensorShapeProto.Types.Dimension { DimParam = free } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim) });
        return new ValueInfoProto { Name = name, DocString = doc, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
