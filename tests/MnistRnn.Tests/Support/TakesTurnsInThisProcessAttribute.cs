using NUnit.Framework.Interfaces;

namespace MnistRnn.Tests.Support;

/// <summary>
/// Of the fixtures that run side by side (Parallelism.cs), those that compute with libtorch in this process take turns, one
/// whole fixture at a time: libtorch's thread count and generator belong to the process, and a sweep called in this
/// process sets the thread count while another fixture trains.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class TakesTurnsInThisProcessAttribute : Attribute, ITestAction
{
    // A semaphore, not a lock: NUnit may end a fixture on another worker thread than the one that began it.
    private static readonly SemaphoreSlim Turn = new(1, 1);

    public ActionTargets Targets => ActionTargets.Suite;

    public void BeforeTest(ITest test) => Turn.Wait();

    public void AfterTest(ITest test) => Turn.Release();
}
