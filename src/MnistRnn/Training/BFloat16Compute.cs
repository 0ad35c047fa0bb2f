using MnistRnn.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// What <see cref="Precision.Bf16Mixed"/> adds to a step: a bfloat16 copy of the model that runs the forward and backward
/// passes. Before each step it takes the float32 weights (the master copy the optimizer updates); after the backward pass
/// its gradients are handed to the float32 weights, where clipping and Adam work. The copy holds nothing a checkpoint needs:
/// it is made again from the float32 weights at every step.
/// </summary>
public sealed class BFloat16Compute : IDisposable, IStepPrecision
{
    private readonly RecurrentClassifier _compute;
    private readonly Parameter[] _masters;
    private readonly Parameter[] _copies;

    /// <summary>Makes the bfloat16 copy of <paramref name="master"/> on its device.</summary>
    public BFloat16Compute(RecurrentClassifier master)
    {
        // Building a model draws its initial weights from torch's generator; the copy is overwritten, so it leaves the draws alone.
        using (var generator = random.get_rng_state())
        {
            _compute = new RecurrentClassifier(master.Options);
            random.set_rng_state(generator);
        }
        _compute.to(master.parameters().First().device);
        _compute.to(ScalarType.BFloat16);
        _masters = master.parameters().ToArray();
        _copies = _compute.parameters().ToArray();
        using var noGrad = no_grad();
        // Where the optimizer keeps no gradient buffers of its own (the synchronous mode), the float32 gradients are made once.
        foreach (var parameter in _masters.Where(p => p.grad is null)) parameter.grad = zeros_like(parameter).DetachFromDisposeScope();
    }

    /// <summary>The bfloat16 model a step runs, holding the float32 weights as of now and no gradient.</summary>
    public RecurrentClassifier Begin(bool training)
    {
        using var noGrad = no_grad();
        foreach (var (copy, master) in _copies.Zip(_masters))
        {
            copy.copy_(master);
            using var grad = copy.grad;
            grad?.zero_();
        }
        _compute.train(training);
        return _compute;
    }

    /// <summary>Hands the step's bfloat16 gradients to the float32 weights.</summary>
    public void End()
    {
        using var noGrad = no_grad();
        foreach (var (copy, master) in _copies.Zip(_masters))
        {
            using var from = copy.grad;
            using var to = master.grad;
            if (from is null) to!.zero_();
            else to!.copy_(from);
        }
    }

    RecurrentClassifier IStepPrecision.Begin(RecurrentClassifier model) => Begin(model.training);

    Tensor IStepPrecision.Input(Tensor sequences) => sequences.to(ScalarType.BFloat16);

    // The outputs stay bfloat16 until a logged step measures them.
    Tensor IStepPrecision.Logits(Tensor logits) => logits.to(ScalarType.Float32);

    void IStepPrecision.End(RecurrentClassifier model) => End();

    /// <summary>Frees the bfloat16 copy.</summary>
    public void Dispose() => _compute.Dispose();
}
