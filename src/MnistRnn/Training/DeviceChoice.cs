using TorchSharp;
using static TorchSharp.torch;

namespace MnistRnn.Training;

/// <summary>Where tensors live during training and evaluation.</summary>
public enum DeviceChoice
{
    /// <summary>CUDA when a CUDA backend and GPU are present, otherwise the CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The first CUDA GPU; fails when the backend or the GPU is missing.</summary>
    Cuda,
}

/// <summary>Turns a <see cref="DeviceChoice"/> into a torch device.</summary>
public static class DeviceSelection
{
    /// <summary>The device for <paramref name="choice"/>.</summary>
    /// <exception cref="DeviceUnavailableException">CUDA was asked for and is not available.</exception>
    public static Device Resolve(DeviceChoice choice)
    {
        bool cuda = cuda_is_available();
        return choice switch
        {
            DeviceChoice.Cpu => CPU,
            DeviceChoice.Cuda when cuda => CUDA,
            DeviceChoice.Cuda => throw new DeviceUnavailableException(
                "CUDA is not available: this build carries the CPU libtorch backend or the machine has no CUDA GPU."),
            _ => cuda ? CUDA : CPU,
        };
    }

    /// <summary>
    /// Throws unless tensors can be put on <paramref name="device"/> (null is the CPU): every entry point of the library
    /// that takes a device calls it first, so a missing GPU is one sentence rather than libtorch's "did not initialise".
    /// </summary>
    /// <exception cref="DeviceUnavailableException">It is a CUDA device and this build or machine has no CUDA, or not that many GPUs.</exception>
    public static void EnsureAvailable(Device? device)
    {
        if (device is null || device.type != DeviceType.CUDA) return;
        if (!cuda_is_available())
            throw new DeviceUnavailableException(
                $"{device} is not available: this build carries the CPU libtorch backend or the machine has no CUDA GPU; use CPU, or DeviceSelection.Resolve(DeviceChoice.Auto).");
        if (device.index >= cuda.device_count())
            throw new DeviceUnavailableException($"{device} does not exist: this machine has {cuda.device_count()} CUDA GPU(s), numbered from 0.");
    }
}

/// <summary>The requested device cannot be used on this machine or with this build.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);
