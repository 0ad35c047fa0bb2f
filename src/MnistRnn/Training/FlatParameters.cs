using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// Every parameter and every gradient of a model as a view into one contiguous buffer each, so an element-wise
/// update of all of them (zeroing, clipping, Adam) is one kernel launch instead of one per tensor. The
/// parameters keep their objects; only their storage moves. Autograd accumulates into an existing gradient in
/// place, so the gradients stay views into <see cref="Gradients"/> through every backward pass.
/// </summary>
/// <remarks>
/// Parameters are laid out in the order given. With the recurrent layer's four tensors first, at offset 0 and
/// in PyTorch's order, they are also the single weight buffer cuDNN's RNN asks for, so it uses them in place
/// instead of copying them into one before every call. Moving the model to another device or dtype afterwards
/// replaces its storage and ends the arrangement: build this after the last move.
/// </remarks>
internal sealed class FlatParameters : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly long[] _offsets;

    public FlatParameters(IReadOnlyList<Parameter> parameters)
    {
        if (parameters.Count == 0) throw new ArgumentException("there are no parameters to lay out.", nameof(parameters));
        var first = parameters[0];
        if (parameters.Any(p => p.device_type != first.device_type || p.device_index != first.device_index || p.dtype != first.dtype))
            throw new ArgumentException("every parameter must be on one device with one dtype.", nameof(parameters));
        _parameters = parameters.ToArray();
        _offsets = new long[_parameters.Length + 1];
        for (int i = 0; i < _parameters.Length; i++) _offsets[i + 1] = _offsets[i] + _parameters[i].numel();

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Values = empty(_offsets[^1], first.dtype, first.device).DetachFromDisposeScope();
        Gradients = zeros(_offsets[^1], first.dtype, first.device).DetachFromDisposeScope();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var values = View(Values, i);
            values.copy_(_parameters[i]);
            _parameters[i].set_(values);
            _parameters[i].grad = View(Gradients, i);
        }
    }

    /// <summary>All parameter values, one after another.</summary>
    public Tensor Values { get; }

    /// <summary>All gradients, laid out as <see cref="Values"/>.</summary>
    public Tensor Gradients { get; }

    /// <summary>Element count of all parameters together.</summary>
    public long Count => _offsets[^1];

    /// <summary>The part of a buffer laid out as <see cref="Values"/> that belongs to parameter <paramref name="index"/>, in its shape.</summary>
    public Tensor View(Tensor buffer, int index) =>
        buffer.narrow(0, _offsets[index], _offsets[index + 1] - _offsets[index]).view(_parameters[index].shape);

    /// <summary>Releases the buffers; the parameters keep theirs alive for as long as they live.</summary>
    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
    }
}
