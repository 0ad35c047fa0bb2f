using MnistRnn.Performance;
using static TorchSharp.torch;

namespace MnistRnn.Tests.Performance;

/// <summary><see cref="NativeMemory.InUseBytes"/> as a user's own program calls it: it sees libtorch's tensors.</summary>
[Category("Unit")]
public sealed class NativeMemoryCallTests
{
    [Test]
    [Platform("Linux")]
    public void A_64_mb_tensor_shows_in_the_bytes_in_use_until_it_is_disposed()
    {
        // The same allocation once first: in a fresh process it also starts libtorch (its thread pool and caches), which
        // would count as the tensor's.
        using (ones(16L << 20)) { }
        long before = NativeMemory.InUseBytes() ?? throw new InconclusiveException("this C library is not glibc 2.33 or later");

        long held;
        using (var tensor = ones(16L << 20))
            held = NativeMemory.InUseBytes()!.Value - before;
        long after = NativeMemory.InUseBytes()!.Value - before;

        Assert.That(held, Is.InRange(64L << 20, 80L << 20));
        Assert.That(after, Is.LessThan(8L << 20));
    }
}
