using System.Runtime.InteropServices;

namespace MnistRnn.Runner.Bench;

/// <summary>
/// Memory in use on the GPU, as the CUDA runtime that libtorch loaded reports it (<c>cudaMemGetInfo</c>).
/// TorchSharp 0.107 does not expose libtorch's caching-allocator statistics (PyTorch's
/// <c>torch.cuda.max_memory_allocated</c> and <c>max_memory_reserved</c>), so this is the device-wide figure: the
/// allocator's reserved memory, the CUDA context and anything other processes hold.
/// </summary>
internal static class GpuMemory
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MemGetInfo(out nuint free, out nuint total);

    // libtorch loaded its runtime already; asking for it by name finds that copy. CUDA 13 (PyTorch's wheels), 12 (TorchSharp's packages).
    private static readonly Lazy<MemGetInfo?> Query = new(() =>
    {
        foreach (string name in new[] { "libcudart.so.13", "libcudart.so.12", "libcudart.so", "cudart64_13.dll", "cudart64_12.dll" })
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "cudaMemGetInfo", out var function))
                return Marshal.GetDelegateForFunctionPointer<MemGetInfo>(function);
        }
        return null;
    });

    /// <summary>MB in use and MB in all on the current GPU, or null when no CUDA runtime can be found.</summary>
    public static (double UsedMb, double TotalMb)? Read()
    {
        if (Query.Value is not { } query || query(out nuint free, out nuint total) != 0) return null;
        return (Math.Round((total - free) / 1048576.0, 1), Math.Round(total / 1048576.0, 1));
    }
}
