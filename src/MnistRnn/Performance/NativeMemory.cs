using System.Runtime.InteropServices;

namespace MnistRnn.Performance;

/// <summary>
/// Tunes glibc's allocator, which libtorch allocates tensors through, for training loops. By default glibc
/// serves every block above a threshold (at most 32 MB) with its own <c>mmap</c> and returns it to the
/// system on free, and trims the heap whenever its free top passes 128 KB; a training step frees and
/// re-allocates the same large activations every time, so each step pays for fresh pages again (the
/// kernel's share of a benchmark is in docs/performance.md). Turning both off keeps freed memory in
/// the process for the next step. The cost: the process keeps its peak footprint instead of shrinking.
/// </summary>
public static class NativeMemory
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4; // M_MMAP_MAX
    private const int ArenaMax = -8; // M_ARENA_MAX

    /// <summary>
    /// Keeps freed native memory in the process (glibc only; a no-op elsewhere). Call it once at start-up,
    /// before training allocates. Returns true when the settings took effect.
    /// </summary>
    public static bool KeepFreedMemoryInProcess()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // One arena: other threads' arenas are mmap-ed heaps that glibc unmaps when they empty, which
            // brings the page faults back whenever training runs off the main thread (as the runner's does).
            return Mallopt(ArenaMax, 1) == 1 && Mallopt(MmapMax, 0) == 1 && Mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a C library without mallopt, such as musl: nothing to tune
        }
    }

    /// <summary>
    /// Bytes glibc has handed out and not had back (mallinfo2's in-use heap blocks plus mmap-ed ones); null where glibc
    /// 2.33 or later is not there to ask. It counts the main arena only, which after <see cref="KeepFreedMemoryInProcess"/>
    /// is the only one, so the figure then covers every thread's allocations, libtorch's tensors included.
    /// </summary>
    public static long? InUseBytes()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var info = Mallinfo2();
            return (long)(info.InUseBlocks + info.MmapBytes);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // glibc's struct mallinfo2, ten size_t fields in this order.
    [StructLayout(LayoutKind.Sequential)]
    private struct MallocInfo
    {
        public nuint Arena, FreeChunks, FastBlocks, MmapBlocks, MmapBytes, MaxTotal, FastFreeBytes, InUseBlocks, FreeBytes, TopReleasable;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallocInfo Mallinfo2();

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
