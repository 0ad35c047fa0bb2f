using MnistRnn.Diagnostics;
using MnistRnn.Models;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>
/// The figures of steps run under <see cref="StepExecution.DeviceResident"/>, kept on the device until
/// <see cref="ReadBack"/> copies them to the host together: one wait for many steps instead of several per step.
/// </summary>
internal sealed class PendingMetrics : IDisposable
{
    // Columns of a row: loss, accuracy, gradient norm, clipped (0 or 1), update applied (0 or 1).
    private const int Columns = 5;
    private readonly Tensor _rows;
    private readonly CellKind _cell;
    private readonly List<(int Step, int Epoch, TimeSpan Elapsed, double LearningRate, StateStatistics? State)> _steps = [];

    public PendingMetrics(int capacity, Device device, CellKind cell)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _rows = zeros([capacity, Columns], ScalarType.Float32, device);
        _cell = cell;
    }

    /// <summary>True when no further step fits before a <see cref="ReadBack"/>.</summary>
    public bool IsFull => _steps.Count == _rows.shape[0];

    /// <summary>Queues one step's figures; the scalar tensors stay on the device and may be released after this call.</summary>
    public void Add(int step, int epoch, TimeSpan elapsed, double learningRate, Tensor loss, Tensor accuracy, Tensor gradNorm, Tensor clipped, Tensor applied, StateStatistics? state)
    {
        if (IsFull) throw new InvalidOperationException("read the pending metrics back before adding more.");
        using var scope = NewDisposeScope();
        _rows[_steps.Count].copy_(stack([loss.to(ScalarType.Float32), accuracy, gradNorm.to(ScalarType.Float32),
            clipped.to(ScalarType.Float32), applied.to(ScalarType.Float32)]));
        _steps.Add((step, epoch, elapsed, learningRate, state));
    }

    /// <summary>Waits for the device, then returns the queued steps' metrics in order and empties the queue.</summary>
    public IReadOnlyList<StepMetrics> ReadBack()
    {
        if (_steps.Count == 0) return [];
        using var scope = NewDisposeScope();
        float[] values = _rows.narrow(0, 0, _steps.Count).cpu().data<float>().ToArray();
        var metrics = _steps.Select((s, i) =>
        {
            var row = values.AsSpan(i * Columns, Columns);
            return new StepMetrics(s.Step, s.Epoch, row[0], row[1], _cell, row[2], row[3] != 0, s.Elapsed, s.State, UpdateSkipped: row[4] == 0)
            {
                LearningRate = s.LearningRate,
            };
        }).ToList();
        _steps.Clear();
        return metrics;
    }

    /// <summary>Releases the device buffer.</summary>
    public void Dispose() => _rows.Dispose();
}
