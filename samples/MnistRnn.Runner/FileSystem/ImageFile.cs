using MnistRnn.IO;
using MnistRnn.Mnist;
using MnistRnn.Pictures;

namespace MnistRnn.Runner.FileSystem;

/// <summary>Reads picture files for <c>predict</c>: a regular file of bounded size, decoded by <see cref="PictureDecoder"/>.</summary>
internal static class ImageFile
{
    /// <summary>The picture at <paramref name="path"/> as gray levels (see <see cref="PictureDecoder.Decode"/>).</summary>
    /// <exception cref="UserErrorException">It is missing, not an image, damaged, truncated or too large (exit 7).</exception>
    public static GrayscaleImage Read(string path)
    {
        try
        {
            return PictureDecoder.Decode(RegularFile.ReadAllBytes(path, PictureDecoder.MaxBytes, "picture"), path);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            throw new UserErrorException(ExitCodes.BadImage, e.Message);
        }
        catch (Exception e) when (FileErrors.Refused(e))
        {
            throw new UserErrorException(ExitCodes.BadImage, $"{path}: cannot read it ({e.Message}).");
        }
    }
}
