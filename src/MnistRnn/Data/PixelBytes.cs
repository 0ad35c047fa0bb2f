using static TorchSharp.torch;

namespace MnistRnn.Data;

/// <summary>
/// Images are kept as the bytes their files hold, a quarter of the memory of float32, and scaled to [0, 1] as float32
/// only when a batch is read, as torchvision's <c>ToTensor</c> does. Scaling is elementwise, so a batch holds the very
/// values a whole float32 copy would.
/// </summary>
internal static class PixelBytes
{
    /// <summary><paramref name="values"/> as float32: bytes scaled by 1/255 into a new tensor, float32 returned as it is.</summary>
    public static Tensor AsFloat32(Tensor values) =>
        values.dtype == ScalarType.Byte ? values.to(ScalarType.Float32).div_(255f) : values;
}
