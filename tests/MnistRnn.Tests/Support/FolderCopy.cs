namespace MnistRnn.Tests.Support;

/// <summary>Copies a folder for a test that builds or reads it elsewhere, leaving out build output.</summary>
internal static class FolderCopy
{
    public static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string sub in Directory.GetDirectories(from).Where(d => Path.GetFileName(d) is not ("bin" or "obj" or "packages")))
            Copy(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
