namespace MnistRnn.Tests.Support;

/// <summary>What every user error of the runner must look like: its exit code, one line on standard error, no stack trace.</summary>
internal static class UserErrorAssert
{
    public static void OneSentence(DotnetProcess.Result result, int exitCode, string mustContain)
    {
        Assert.That(result.ExitCode, Is.EqualTo(exitCode), result.Output + result.Error);
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), result.Error);
        Assert.That(lines[0], Does.Contain(mustContain));
        Assert.That(result.Error, Does.Not.Contain("   at "), "no stack trace");
    }
}
