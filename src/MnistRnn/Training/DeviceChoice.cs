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
}

/// <summary>The requested device cannot be used on this machine or with this build.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);
