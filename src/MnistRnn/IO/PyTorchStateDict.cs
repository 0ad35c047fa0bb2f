using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MnistRnn.IO;

/// <summary>
/// Reads a PyTorch <c>.pt</c> file holding a <c>state_dict</c> (a zip of pickled tensors, as <c>torch.save</c> writes), through
/// TorchSharp.PyBridge's restricted unpickler, which rebuilds tensors only and runs no code from the file.
/// </summary>
internal static class PyTorchStateDict
{
    /// <summary>The largest .pt file read.</summary>
    public const long MaxFileBytes = int.MaxValue;

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a state_dict of float32 tensors; the message names the first other one.</exception>
    public static Dictionary<string, (long[] Shape, float[] Values)> Read(string path)
    {
        RegularFile.Check(path, MaxFileBytes, "PyTorch state_dict");
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or FileNotFoundException))
        {
            throw new InvalidDataException($"{path} is not a PyTorch state_dict that torch.save wrote ({e.GetType().Name}: {e.Message.Split('\n')[0]}).", e);
        }
        var values = new Dictionary<string, (long[] Shape, float[] Values)>();
        try
        {
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is not string name || entry.Value is not Tensor stored)
                    throw new InvalidDataException($"{path} holds an entry {entry.Key} that is not a named tensor; save model.state_dict().");
                if (stored.dtype != ScalarType.Float32)
                    throw new InvalidDataException($"{path}: weight {name} is {stored.dtype}, not float32; save the model after model.float().");
                using var contiguous = stored.cpu().contiguous();
                values[name] = (stored.shape, contiguous.data<float>().ToArray());
            }
        }
        finally
        {
            foreach (DictionaryEntry entry in table) (entry.Value as Tensor)?.Dispose();
        }
        return values;
    }
}
